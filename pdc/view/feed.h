// What the reader's thread hands the view's web thread. The reader only copies: a
// configuration when one is read, the frames of each set while a page is open (one
// relaxed atomic load otherwise), the time of each data frame, its counters a few times
// a second. The web thread takes it all at once, every 50 ms, and does the decoding and
// the JSON outside the lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "c37/aligner.h"
#include "observe/observer.h"

namespace pmu::pdc::view {

class Feed {
 public:
  explicit Feed(std::size_t sources);

  // The reader's thread.
  void Config(std::size_t source, std::span<const std::byte> frame);
  void Set(const c37::AlignedSet& set, int rate);
  void Data(std::size_t source, std::int64_t now_ns) { last_data_ns_[source].store(now_ns, std::memory_order_relaxed); }
  void LinkDown(std::size_t source, std::string_view why, std::int64_t now_ns);
  void Counters(std::size_t source, const observe::SourceCounters& counters);

  // The web thread. Pages connected (sets are copied only while there is one).
  void SetViewers(int n) { viewers_.store(n, std::memory_order_relaxed); }

  struct Taken {
    std::uint64_t config_version = 0;
    std::vector<std::vector<std::byte>> configs;  // filled when the version moved on
    std::vector<std::byte> sets;                  // records: see Set()
    int rate = 0;
    std::uint64_t sets_total = 0, sets_dropped = 0;
    std::vector<observe::SourceCounters> counters;
    std::vector<std::int64_t> last_data_ns, link_down_ns;
    std::vector<std::string> errors;
  };
  // Swaps the sets out; copies configurations newer than `have_version`.
  void Take(std::uint64_t have_version, Taken& out);

  // Record layout of a set: SetHeader, then per present source SourceHeader and the
  // frame padded to 8 bytes.
  struct SetHeader {
    std::int64_t key = 0;
    std::uint32_t present = 0;
    std::int32_t rate = 0;
  };
  struct SourceHeader {
    std::uint16_t source = 0;
    std::uint16_t size = 0;
    std::uint32_t unused = 0;
  };
  // Sets held for the web thread at most (it takes them every 50 ms: 2 s of slack).
  static constexpr std::size_t kMaxHeldBytes = 4u << 20;

 private:
  std::atomic<int> viewers_{0};
  std::vector<std::atomic<std::int64_t>> last_data_ns_;
  std::mutex mu_;
  std::uint64_t config_version_ = 0;
  std::vector<std::vector<std::byte>> configs_;
  std::vector<std::byte> sets_;
  int rate_ = 0;
  std::uint64_t sets_total_ = 0, sets_dropped_ = 0;
  std::vector<observe::SourceCounters> counters_;
  std::vector<std::int64_t> link_down_ns_;
  std::vector<std::string> errors_;
};

}  // namespace pmu::pdc::view
