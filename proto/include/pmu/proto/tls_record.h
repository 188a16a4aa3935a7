// TLS record framing (RFC 5246 section 6.2): a 5-byte header (content type, version,
// 16-bit length) and that many bytes. TlsRecordScanner follows a TLS byte stream as
// it arrives, in pieces of any size, and notices the first record whose length is
// above what the receiver accepts, so that the receiver can answer with the
// record_overflow alert instead of failing on it later. It looks at nothing but the
// lengths: the records themselves are the TLS library's.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"

namespace pmu::proto {

inline constexpr std::size_t kTlsRecordHeaderSize = 5;

class TlsRecordScanner {
 public:
  // `max_length`: the largest value of a record's length field that is accepted.
  explicit TlsRecordScanner(std::size_t max_length) : max_length_(max_length) {}

  // Follows the next bytes of the stream. False from the first oversized record on
  // (the stream cannot be followed past it).
  bool Feed(ByteSpan bytes);

  bool oversized() const { return oversized_; }
  // The oversized record's length field.
  std::size_t oversized_length() const { return oversized_length_; }
  std::uint64_t records() const { return records_; }

 private:
  std::size_t max_length_;
  std::uint8_t header_[kTlsRecordHeaderSize] = {};
  std::size_t header_have_ = 0;
  std::size_t body_left_ = 0;
  bool oversized_ = false;
  std::size_t oversized_length_ = 0;
  std::uint64_t records_ = 0;
};

}  // namespace pmu::proto
