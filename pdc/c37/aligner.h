// Time alignment of many PMUs' data frames: the heart of `pdc c37 concentrate`.
//
// Frames are keyed by their reporting instant on the concentrator's grid (key =
// SOC * rate + the nearest whole report within the second). Sets live in a ring of
// slots indexed by key; each holds one frame per PMU (copied into storage allocated
// once, so adding a frame never allocates). A set is emitted, in time order, as soon as
// every PMU's frame is in it, or when its wait time (counted from the set's first
// frame) has expired. Frames for a set already emitted are late; a second frame of a
// PMU for the same set is a duplicate; each PMU absent from an emitted set counts as
// missing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace pmu::pdc::c37 {

struct AlignerCounters {
  std::uint64_t frames = 0;      // accepted into a set
  std::uint64_t late = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t missing = 0;     // PMU frames absent from emitted sets
  std::uint64_t sets = 0;        // emitted
  std::uint64_t complete = 0;    // emitted with every PMU
  std::uint64_t forced = 0;      // emitted early to make room for newer sets
};

// One emitted set: frames[i] is PMU i's frame, empty when it is missing.
struct AlignedSet {
  std::int64_t key = 0;
  bool complete = false;
  std::size_t present = 0;
  std::span<const std::span<const std::byte>> frames;
};

class Aligner {
 public:
  enum class Outcome { kAccepted, kLate, kDuplicate };

  // `pmus` sources; `slots` sets held at once (more than wait * rate, or sets are
  // forced out early); room for frames of `frame_capacity` bytes to start with.
  Aligner(std::size_t pmus, std::size_t slots, std::size_t frame_capacity, std::int64_t wait_ns);

  // Adds PMU `pmu`'s frame for `key` at time `now_ns`. A key beyond the ring forces the
  // oldest sets out first (through `emit`). Frames larger than the capacity grow it
  // (the only allocation, on a configuration change).
  template <typename Emit>
  Outcome Add(std::size_t pmu, std::int64_t key, std::span<const std::byte> frame, std::int64_t now_ns, Emit&& emit);

  // Emits, in key order, every set that is complete or expired at `now_ns`.
  template <typename Emit>
  void Flush(std::int64_t now_ns, Emit&& emit);
  // Emits every open set (at the end of a run).
  template <typename Emit>
  void FlushAll(Emit&& emit) { Flush(INT64_MAX, emit); }

  // When (on the clock of `now_ns`) the oldest open set expires (-1: none open).
  std::int64_t NextDeadline() const;

  const AlignerCounters& counters() const { return counters_; }
  std::size_t pmus() const { return pmus_; }

 private:
  struct Slot {
    bool used = false;
    std::int64_t key = 0;
    std::int64_t deadline = 0;
    std::size_t present = 0;
  };
  Slot& SlotOf(std::int64_t key) { return slots_[static_cast<std::size_t>(key % static_cast<std::int64_t>(slots_.size()))]; }
  std::size_t Index(std::int64_t key) const { return static_cast<std::size_t>(key % static_cast<std::int64_t>(slots_.size())); }
  std::byte* FrameAt(std::size_t slot, std::size_t pmu) { return storage_.data() + (slot * pmus_ + pmu) * capacity_; }
  void Grow(std::size_t capacity);
  template <typename Emit>
  void EmitSlot(std::size_t index, Emit&& emit);

  std::size_t pmus_;
  std::size_t capacity_;
  std::int64_t wait_ns_;
  std::vector<Slot> slots_;
  std::vector<std::byte> storage_;            // slots * pmus * capacity
  std::vector<std::uint16_t> lengths_;        // slots * pmus; 0: absent
  std::vector<std::span<const std::byte>> view_;  // one set's frames, for emission
  std::int64_t watermark_ = INT64_MIN;  // lowest key not yet emitted
  std::int64_t newest_ = INT64_MIN;     // highest key seen
  std::size_t open_ = 0;
  AlignerCounters counters_;
};

// ---- implementation of the templates ---------------------------------------------------

template <typename Emit>
void Aligner::EmitSlot(std::size_t index, Emit&& emit) {
  Slot& s = slots_[index];
  for (std::size_t p = 0; p < pmus_; ++p) {
    const std::uint16_t len = lengths_[index * pmus_ + p];
    view_[p] = len ? std::span<const std::byte>(FrameAt(index, p), len) : std::span<const std::byte>();
  }
  AlignedSet set{s.key, s.present == pmus_, s.present, view_};
  ++counters_.sets;
  if (set.complete) ++counters_.complete;
  counters_.missing += pmus_ - s.present;
  emit(set);
  for (std::size_t p = 0; p < pmus_; ++p) lengths_[index * pmus_ + p] = 0;
  s.used = false;
  s.present = 0;
  --open_;
}

template <typename Emit>
Aligner::Outcome Aligner::Add(std::size_t pmu, std::int64_t key, std::span<const std::byte> frame, std::int64_t now_ns,
                              Emit&& emit) {
  if (key < watermark_) {
    ++counters_.late;
    return Outcome::kLate;
  }
  if (watermark_ == INT64_MIN) watermark_ = key;
  const auto ring = static_cast<std::int64_t>(slots_.size());
  // Make room: sets more than a ring behind this key leave now, complete or not.
  while (key - watermark_ >= ring) {
    if (open_ == 0) {
      watermark_ = key - ring + 1;
      break;
    }
    Slot& oldest = SlotOf(watermark_);
    if (oldest.used && oldest.key == watermark_) {
      ++counters_.forced;
      EmitSlot(Index(watermark_), emit);
    }
    ++watermark_;
  }
  if (frame.size() > capacity_) Grow(frame.size());
  const std::size_t index = Index(key);
  Slot& s = slots_[index];
  if (!s.used) {
    s.used = true;
    s.key = key;
    s.deadline = now_ns + wait_ns_;
    s.present = 0;
    ++open_;
  }
  std::uint16_t& len = lengths_[index * pmus_ + pmu];
  if (len != 0) {
    ++counters_.duplicate;
    return Outcome::kDuplicate;
  }
  std::copy(frame.begin(), frame.end(), FrameAt(index, pmu));
  len = static_cast<std::uint16_t>(frame.size());
  ++s.present;
  ++counters_.frames;
  if (key > newest_) newest_ = key;
  Flush(now_ns, emit);
  return Outcome::kAccepted;
}

template <typename Emit>
void Aligner::Flush(std::int64_t now_ns, Emit&& emit) {
  while (open_ > 0) {
    // The oldest open set, skipping keys no frame arrived for.
    while (watermark_ <= newest_ && !(SlotOf(watermark_).used && SlotOf(watermark_).key == watermark_)) ++watermark_;
    if (watermark_ > newest_) break;
    const std::size_t index = Index(watermark_);
    const Slot& s = slots_[index];
    if (s.present < pmus_ && now_ns < s.deadline) break;
    EmitSlot(index, emit);
    ++watermark_;
  }
}

}  // namespace pmu::pdc::c37
