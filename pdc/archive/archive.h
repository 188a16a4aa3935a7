// The archive: everything `pdc c37 stream` or `concentrate` receives, kept in SQLite or
// PostgreSQL (docs/ARCHIVE.md). An observer of the reader: the reader's thread only
// copies each frame into a buffer; a writer thread of its own decodes the frames into
// rows and writes them in batched transactions. When the database goes away the writer
// keeps the rows and reconnects with back-off; the buffer holds at most `bound` rows,
// and beyond that new rows are dropped, said on standard error and recorded as an
// archive_dropped event once the database is back.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "backend.h"
#include "observe/observer.h"

namespace pmu::pdc::archive {

struct ArchiveTotals {
  std::uint64_t rows = 0, configs = 0, events = 0, transactions = 0;
  std::uint64_t dropped = 0;   // rows that found the buffer full
  std::uint64_t unwritten = 0; // rows still buffered when pdc gave up at the end
  std::uint64_t outages = 0;   // times the database went away
  double drain_seconds = 0;    // Finish: writing what was still buffered
};

class Archive final : public observe::Observer {
 public:
  // Opens the database (throws ArchiveError when it cannot) and starts the writer.
  Archive(const ArchiveUrl& url, std::size_t bound, std::vector<observe::Source> sources, std::string tool);
  ~Archive() override;
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  void OnConfig(std::size_t source, std::span<const std::byte> frame, std::int64_t now_ns) override;
  void OnData(std::size_t source, std::span<const std::byte> frame, observe::Arrival arrival,
              std::int64_t now_ns) override;
  void OnSet(const c37::AlignedSet& set, int rate) override;
  void OnLinkDown(std::size_t source, std::string_view why, std::int64_t now_ns) override;
  void OnCounters(std::size_t source, const observe::SourceCounters& counters) override;
  // Closes open event runs, writes what is buffered (waiting up to 10 s for a database
  // that is away), stops the writer and prints one line of totals on standard error.
  void Finish() override;

  ArchiveTotals totals() const;

 private:
  // A run of like events of one source, written as one row when it ends.
  struct Run {
    std::int64_t first_us = 0, last_us = 0;
    std::uint64_t count = 0;
    std::string detail;
  };
  struct SourceState {  // the reader's thread only
    std::uint32_t time_base = 1'000'000;
    std::uint16_t blocks = 1;  // PMU blocks per frame: rows per frame
    std::int32_t idcode = -1;
    Run late, duplicate, missing, link_down;
    std::uint64_t corrupt_seen = 0;
  };
  struct HeldConfig {  // the writer's thread only
    std::vector<std::byte> bytes;
    std::unique_ptr<proto::c37118::ConfigFrame> frame;
    std::vector<std::int64_t> ids;  // per PMU block
  };

  // Reader side.
  void Push(std::uint8_t type, std::size_t source, std::int64_t stamp, std::span<const std::byte> bytes);
  void Extend(Run& run, const char* kind, std::size_t source, std::int64_t at_us, std::uint64_t count = 1);
  void Close(Run& run, const char* kind, std::size_t source);
  std::int64_t FrameUs(std::size_t source, std::span<const std::byte> frame) const;

  // Writer side.
  void WriterMain();
  bool TakeInput(Batch& batch, std::size_t& rows);
  void Decode(const std::vector<std::byte>& records, Batch& batch);
  void TakeConfig(std::size_t source, std::span<const std::byte> bytes, std::int64_t seen_us, Batch& batch);
  bool Connect();
  void Commit(Batch& batch, std::size_t rows);

  ArchiveUrl url_;
  std::size_t bound_;
  std::vector<observe::Source> sources_;
  std::string tool_;
  std::vector<SourceState> state_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::byte> incoming_;      // records, see Push
  std::vector<EventRow> events_;         // events waiting for the writer
  std::size_t buffered_rows_ = 0;        // in incoming_ and in the writer's batch
  std::size_t incoming_rows_ = 0;        // in incoming_
  bool stopping_ = false;
  bool overflowing_ = false;
  Run dropped_;                          // the current overflow, by host time
  ArchiveTotals totals_;
  std::string last_error_;

  std::unique_ptr<Writer> writer_;
  std::vector<HeldConfig> configs_;      // the writer's: per source
  std::unordered_set<std::int64_t> stored_configs_;
  std::unique_ptr<proto::c37118::DataFrame> data_;
  std::thread thread_;
  bool finished_ = false;
};

}  // namespace pmu::pdc::archive
