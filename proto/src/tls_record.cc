#include "pmu/proto/tls_record.h"

namespace pmu::proto {

bool TlsRecordScanner::Feed(ByteSpan bytes) {
  while (!oversized_ && !bytes.empty()) {
    if (body_left_ > 0) {
      const std::size_t n = bytes.size() < body_left_ ? bytes.size() : body_left_;
      body_left_ -= n;
      bytes = bytes.subspan(n);
      continue;
    }
    header_[header_have_++] = std::to_integer<std::uint8_t>(bytes.front());
    bytes = bytes.subspan(1);
    if (header_have_ < kTlsRecordHeaderSize) continue;
    header_have_ = 0;
    const std::size_t length = (std::size_t{header_[3]} << 8) | header_[4];
    if (length > max_length_) {
      oversized_ = true;
      oversized_length_ = length;
      break;
    }
    body_left_ = length;
    ++records_;
  }
  return !oversized_;
}

}  // namespace pmu::proto
