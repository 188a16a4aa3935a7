// Byte views used across every layer. Parsers take a ByteSpan and return views into it,
// so they need neither I/O nor allocation: the caller owns the bytes, and a view a
// parser returns is valid as long as they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace pmu {

using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

inline ByteSpan AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}
inline std::string_view AsText(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
inline ByteSpan AsBytes(const void* data, std::size_t size) {
  return {static_cast<const std::byte*>(data), size};
}
inline MutableByteSpan AsWritableBytes(void* data, std::size_t size) {
  return {static_cast<std::byte*>(data), size};
}

// Big-endian (network order) helpers over raw bytes.
inline std::uint16_t LoadBe16(const std::byte* p) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) |
                                    std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t LoadBe32(const std::byte* p) {
  return (std::uint32_t{LoadBe16(p)} << 16) | LoadBe16(p + 2);
}
inline void StoreBe16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v);
}
inline void StoreBe32(std::byte* p, std::uint32_t v) {
  StoreBe16(p, static_cast<std::uint16_t>(v >> 16));
  StoreBe16(p + 2, static_cast<std::uint16_t>(v));
}

}  // namespace pmu
