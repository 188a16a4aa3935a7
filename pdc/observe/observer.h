// What `pdc c37 concentrate` and `pdc c37 stream` tell the consumers they feed beside
// their own output: the live view (pdc/view) and the archive (pdc/archive).
//
// Every call comes from the thread that reads the PMUs, in its hot path: an observer
// copies what it needs and returns, and does its real work (decoding, formatting,
// serving, writing) on a thread of its own. Frames are views valid only during the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "c37/aligner.h"

namespace pmu::pdc::observe {

// A PMU (or a concentrator's output) the tool reads, in the order given.
struct Source {
  std::string label;          // "pmu1:4712": what the user named it
  std::uint16_t idcode = 0;   // the IDCODE commands are sent with
};

// What the reader counts for each source (the concentrator's per-PMU counters).
struct SourceCounters {
  std::uint64_t frames = 0, late = 0, missing = 0, duplicate = 0, corrupt = 0, reconnects = 0, config_reads = 0;
  std::uint64_t unreadable = 0;  // new layout announced by STAT bit 10, configuration not read yet
};

// What became of a data frame that its configuration describes.
enum class Arrival { kAccepted, kLate, kDuplicate };

class Observer {
 public:
  virtual ~Observer() = default;
  // A configuration frame (CFG-2 or CFG-3) was read from `source`: every time, changed
  // or not. `now_ns` is CLOCK_MONOTONIC.
  virtual void OnConfig(std::size_t source, std::span<const std::byte> frame, std::int64_t now_ns) = 0;
  // A data frame of `source` that fits its last configuration.
  virtual void OnData(std::size_t source, std::span<const std::byte> frame, Arrival arrival, std::int64_t now_ns) = 0;
  // The concentrator emitted a time-aligned set (`rate` sets per second).
  virtual void OnSet(const c37::AlignedSet& set, int rate) = 0;
  // The link to `source` failed; the reader reconnects with back-off.
  virtual void OnLinkDown(std::size_t source, std::string_view why, std::int64_t now_ns) = 0;
  // The reader's counters for `source`, a few times a second.
  virtual void OnCounters(std::size_t source, const SourceCounters& counters) = 0;
  // The reader stops: flush, report on standard error, stop the threads. Once.
  virtual void Finish() = 0;
};

// Every observer the command line asked for, called in turn.
class Observers final : public Observer {
 public:
  void Add(std::unique_ptr<Observer> o) { all_.push_back(std::move(o)); }
  bool empty() const { return all_.empty(); }

  void OnConfig(std::size_t source, std::span<const std::byte> frame, std::int64_t now_ns) override {
    for (auto& o : all_) o->OnConfig(source, frame, now_ns);
  }
  void OnData(std::size_t source, std::span<const std::byte> frame, Arrival arrival, std::int64_t now_ns) override {
    for (auto& o : all_) o->OnData(source, frame, arrival, now_ns);
  }
  void OnSet(const c37::AlignedSet& set, int rate) override {
    for (auto& o : all_) o->OnSet(set, rate);
  }
  void OnLinkDown(std::size_t source, std::string_view why, std::int64_t now_ns) override {
    for (auto& o : all_) o->OnLinkDown(source, why, now_ns);
  }
  void OnCounters(std::size_t source, const SourceCounters& counters) override {
    for (auto& o : all_) o->OnCounters(source, counters);
  }
  void Finish() override {
    for (auto& o : all_) o->Finish();
  }

 private:
  std::vector<std::unique_ptr<Observer>> all_;
};

}  // namespace pmu::pdc::observe
