// A power cut, rehearsed: Storage in front of the real one that, once armed with a
// byte count, lets that many more bytes through and then cuts. The write that reaches
// the count is written only up to it; then the cut action runs (the simulator
// restarts in place, a board resets; neither returns), as when power fails part-way
// through a save. Without an action (the unit tests) the write reports the cut and
// every later write writes nothing. Unarmed, everything passes through. It also counts
// what was written, for the statistics (flash wear is counted in writes and bytes).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "pmu/base/status.h"
#include "pmu/hal/storage.h"

namespace pmu::hal {

class PowerCutStorage final : public Storage {
 public:
  using CutAction = void (*)(std::size_t after_bytes, void* context);

  explicit PowerCutStorage(Storage& inner, CutAction cut = nullptr, void* context = nullptr)
      : inner_(inner), cut_(cut), context_(context) {}

  // Power fails once `bytes` more bytes are written (0: at the next write).
  void Arm(std::size_t bytes) {
    armed_ = true;
    remaining_ = bytes;
    armed_at_ = bytes;
  }
  bool armed() const { return armed_; }
  std::uint64_t writes() const { return writes_; }
  std::uint64_t bytes() const { return bytes_; }

  std::size_t size() const override { return inner_.size(); }
  Status Read(std::size_t offset, MutableByteSpan out) override { return inner_.Read(offset, out); }
  Status Write(std::size_t offset, ByteSpan data) override {
    const std::size_t n = armed_ ? std::min(remaining_, data.size()) : data.size();
    if (n > 0) PMU_TRY(inner_.Write(offset, data.first(n)));
    ++writes_;
    bytes_ += n;
    if (!armed_) return Status::Ok();
    remaining_ -= n;
    if (remaining_ > 0) return Status::Ok();
    if (cut_ != nullptr) cut_(armed_at_, context_);
    return n == data.size() ? Status::Ok() : Unavailable("power cut");
  }

 private:
  Storage& inner_;
  CutAction cut_;
  void* context_;
  bool armed_ = false;
  std::size_t remaining_ = 0;
  std::size_t armed_at_ = 0;
  std::uint64_t writes_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace pmu::hal
