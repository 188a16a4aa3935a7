#include "pmu/hal/cortex_m/read_only_area.h"

#include <cstring>

namespace pmu::hal::cortex_m {

Status ReadOnlyArea::Read(std::size_t offset, MutableByteSpan out) {
  if (offset > area_.size || out.size() > area_.size - offset) return OutOfRange("read past the end of the area");
  std::memcpy(out.data(), area_.base + offset, out.size());
  return Status::Ok();
}

Status ReadOnlyArea::Write(std::size_t, ByteSpan) {
  return Status(StatusCode::kPermissionDenied, "the playback area is loaded from outside, never written");
}

}  // namespace pmu::hal::cortex_m
