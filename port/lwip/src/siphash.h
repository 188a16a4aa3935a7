// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash, used for the TCP
// initial sequence numbers (RFC 6528 suggests a keyed hash).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pmu::port {

std::uint64_t SipHash24(const std::uint8_t key[16], const std::uint8_t* data, std::size_t size);

}  // namespace pmu::port
