#include "pmu/firmware/measurement/storage_lines.h"

#include <algorithm>

namespace pmu::firmware {

Status StorageLines::Next(std::string_view& line, bool& at_end) {
  at_end = offset_ >= end_;
  if (at_end) return Status::Ok();
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), end_ - offset_));
  PMU_TRY(store_.Read(static_cast<std::size_t>(offset_), AsWritableBytes(buffer_.data(), want)));
  if (buffer_[0] == '\0' || static_cast<unsigned char>(buffer_[0]) == 0xFF) {
    at_end = true;
    return Status::Ok();
  }
  std::size_t n = 0;
  while (n < want && buffer_[n] != '\n' && buffer_[n] != '\r' && buffer_[n] != '\0') ++n;
  if (n == want && want == buffer_.size()) return ResourceExhausted("a line is longer than the line buffer");
  line = std::string_view(buffer_.data(), n);
  offset_ += n;
  if (n < want && buffer_[n] == '\r') {
    ++offset_;
    if (n + 1 < want && buffer_[n + 1] == '\n') ++offset_;
  } else if (n < want && buffer_[n] == '\n') {
    ++offset_;
  }
  return Status::Ok();
}

}  // namespace pmu::firmware
