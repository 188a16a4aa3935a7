#include "aligner.h"

#include <algorithm>
#include <cstring>

namespace pmu::pdc::c37 {

Aligner::Aligner(std::size_t pmus, std::size_t slots, std::size_t frame_capacity, std::int64_t wait_ns)
    : pmus_(pmus), capacity_(frame_capacity), wait_ns_(wait_ns), slots_(slots == 0 ? 1 : slots),
      storage_(slots_.size() * pmus * frame_capacity), lengths_(slots_.size() * pmus), view_(pmus) {}

void Aligner::Grow(std::size_t capacity) {
  std::vector<std::byte> bigger(slots_.size() * pmus_ * capacity);
  for (std::size_t i = 0; i < slots_.size() * pmus_; ++i) {
    std::memcpy(bigger.data() + i * capacity, storage_.data() + i * capacity_, lengths_[i]);
  }
  storage_ = std::move(bigger);
  capacity_ = capacity;
}

std::int64_t Aligner::NextDeadline() const {
  std::int64_t best = -1;
  for (const Slot& s : slots_) {
    if (s.used && (best < 0 || s.deadline < best)) best = s.deadline;
  }
  return best;
}

}  // namespace pmu::pdc::c37
