#include "archive.h"

#include <chrono>
#include <cstring>
#include <iostream>

#include "pmu/base/bytes.h"

namespace pmu::pdc::archive {
namespace {

namespace p = proto::c37118;

constexpr std::uint8_t kConfigRecord = 1;
constexpr std::uint8_t kDataRecord = 2;
constexpr std::size_t kMaxBatchRows = 20'000;       // rows per transaction
constexpr std::size_t kWakeRows = kMaxBatchRows;    // rows that wake the writer before its interval
constexpr auto kBatchInterval = std::chrono::milliseconds(200);
constexpr auto kMinBackoff = std::chrono::milliseconds(250);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr auto kFinishGrace = std::chrono::seconds(10);
constexpr std::int64_t kLongestRunUs = 60'000'000;  // a run is written at least once a minute

struct RecordHeader {
  std::uint8_t type = 0;
  std::uint8_t unused[3] = {};
  std::uint32_t source = 0;
  std::int64_t stamp = 0;  // host UTC microseconds
  std::uint32_t size = 0;
  std::uint32_t unused2 = 0;
};
static_assert(sizeof(RecordHeader) == 24);

std::size_t Padded(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

bool IsConfig(std::span<const std::byte> f) {
  if (f.size() < p::kCommonHeaderSize + 6) return false;
  const unsigned type = (std::to_integer<unsigned>(f[1]) >> 4) & 7;
  return type == 3 || type == 5 || type == 2;
}

}  // namespace

Archive::Archive(const ArchiveUrl& url, std::size_t bound, std::vector<observe::Source> sources, std::string tool)
    : url_(url),
      bound_(bound),
      sources_(std::move(sources)),
      tool_(std::move(tool)),
      state_(sources_.size()),
      configs_(sources_.size()),
      data_(std::make_unique<p::DataFrame>()) {
  writer_ = OpenWriter(url_);  // a database that is not there at the start is a usage problem: say so now
  for (std::size_t i = 0; i < sources_.size(); ++i) state_[i].idcode = sources_[i].idcode;
  thread_ = std::thread([this] { WriterMain(); });
}

Archive::~Archive() {
  if (!finished_) Finish();
}

// ---- the reader's side: copy and return ----------------------------------------------

void Archive::Push(std::uint8_t type, std::size_t source, std::int64_t stamp, std::span<const std::byte> bytes) {
  RecordHeader h;
  h.type = type;
  h.source = static_cast<std::uint32_t>(source);
  h.stamp = stamp;
  h.size = static_cast<std::uint32_t>(bytes.size());
  const std::size_t at = incoming_.size();
  incoming_.resize(at + sizeof(h) + Padded(bytes.size()));
  std::memcpy(incoming_.data() + at, &h, sizeof(h));
  std::memcpy(incoming_.data() + at + sizeof(h), bytes.data(), bytes.size());
}

std::int64_t Archive::FrameUs(std::size_t source, std::span<const std::byte> f) const {
  p::Timestamp t;
  t.soc = LoadBe32(f.data() + 6);
  t.fracsec = LoadBe32(f.data() + 10);
  return TimeUs(t, state_[source].time_base);
}

void Archive::OnConfig(std::size_t source, std::span<const std::byte> frame, std::int64_t) {
  if (!IsConfig(frame)) return;
  SourceState& s = state_[source];
  // CFG-3 has CONT_IDX before TIME_BASE.
  const std::size_t at = p::kCommonHeaderSize + (((std::to_integer<unsigned>(frame[1]) >> 4) & 7) == 5 ? 2 : 0);
  if (frame.size() >= at + 6) {
    s.time_base = LoadBe32(frame.data() + at) & p::kMaxTimeBase;
    s.blocks = std::max<std::uint16_t>(1, LoadBe16(frame.data() + at + 4));
  }
  s.idcode = LoadBe16(frame.data() + 4);
  std::lock_guard lock(mu_);
  Push(kConfigRecord, source, NowUtcUs(), frame);
  wake_.notify_one();
}

void Archive::OnData(std::size_t source, std::span<const std::byte> frame, observe::Arrival arrival, std::int64_t) {
  SourceState& s = state_[source];
  if (arrival == observe::Arrival::kDuplicate) {  // the first copy is archived
    Extend(s.duplicate, "duplicate", source, FrameUs(source, frame));
    return;
  }
  if (arrival == observe::Arrival::kLate) {
    Extend(s.late, "late", source, FrameUs(source, frame));
  } else if (s.late.count) {
    Close(s.late, "late", source);
  }
  if (s.link_down.count) Close(s.link_down, "link_down", source);
  std::lock_guard lock(mu_);
  if (buffered_rows_ + s.blocks > bound_) {
    ++totals_.dropped;
    const std::int64_t now = NowUtcUs();
    if (!overflowing_) {
      overflowing_ = true;
      dropped_ = Run{now, now, 0, {}};
      std::cerr << tool_ << ": archive: the buffer of " << bound_ << " rows is full"
                << (last_error_.empty() ? std::string(" (the database is slower than the stream)")
                                        : " (" + url_.shown + " is away: " + last_error_ + ")")
                << "; new rows are dropped until it drains\n";
    }
    dropped_.last_us = now;
    dropped_.count += s.blocks;
    return;
  }
  if (overflowing_) {
    overflowing_ = false;
    std::cerr << tool_ << ": archive: " << dropped_.count << " rows dropped from " << FormatUtcUs(dropped_.first_us)
              << " to " << FormatUtcUs(dropped_.last_us) << "; archiving again\n";
    events_.push_back({dropped_.first_us, dropped_.last_us, -1, "archive_dropped", dropped_.count,
                       "buffer of " + std::to_string(bound_) + " rows full"});
  }
  buffered_rows_ += s.blocks;
  Push(kDataRecord, source, 0, frame);
  if (++incoming_rows_ == kWakeRows) wake_.notify_one();
}

void Archive::OnSet(const c37::AlignedSet& set, int rate) {
  if (rate <= 0) return;
  const std::int64_t us = SetTimeUs(set.key, rate);
  for (std::size_t i = 0; i < set.frames.size() && i < state_.size(); ++i) {
    Run& missing = state_[i].missing;
    if (set.frames[i].empty()) {
      Extend(missing, "missing", i, us);
    } else if (missing.count) {
      Close(missing, "missing", i);
    }
  }
}

void Archive::OnLinkDown(std::size_t source, std::string_view why, std::int64_t) {
  Run& run = state_[source].link_down;
  if (run.count && run.detail != why) Close(run, "link_down", source);
  run.detail = std::string(why);
  Extend(run, "link_down", source, NowUtcUs());
}

void Archive::OnCounters(std::size_t source, const observe::SourceCounters& c) {
  SourceState& s = state_[source];
  if (c.corrupt > s.corrupt_seen) {
    const std::int64_t now = NowUtcUs();
    std::lock_guard lock(mu_);
    events_.push_back({now, now, s.idcode, "corrupt", c.corrupt - s.corrupt_seen, "frames rejected by the decoder"});
    s.corrupt_seen = c.corrupt;
  }
}

void Archive::Extend(Run& run, const char* kind, std::size_t source, std::int64_t at_us, std::uint64_t count) {
  if (run.count == 0) run.first_us = at_us;
  run.last_us = std::max(run.last_us, at_us);
  run.count += count;
  if (run.last_us - run.first_us >= kLongestRunUs) Close(run, kind, source);
}

void Archive::Close(Run& run, const char* kind, std::size_t source) {
  if (run.count == 0) return;
  {
    std::lock_guard lock(mu_);
    events_.push_back({run.first_us, run.last_us, state_[source].idcode, kind, run.count, run.detail});
    wake_.notify_one();
  }
  run = Run{};
}

void Archive::Finish() {
  if (finished_) return;
  finished_ = true;
  for (std::size_t i = 0; i < state_.size(); ++i) {
    SourceState& s = state_[i];
    Close(s.late, "late", i);
    Close(s.duplicate, "duplicate", i);
    Close(s.missing, "missing", i);
    Close(s.link_down, "link_down", i);
  }
  {
    std::lock_guard lock(mu_);
    if (overflowing_) {
      events_.push_back({dropped_.first_us, dropped_.last_us, -1, "archive_dropped", dropped_.count,
                         "buffer of " + std::to_string(bound_) + " rows full"});
      overflowing_ = false;
    }
    stopping_ = true;
    wake_.notify_one();
  }
  const auto stopped = std::chrono::steady_clock::now();
  thread_.join();
  {
    std::lock_guard lock(mu_);
    totals_.drain_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  }
  const ArchiveTotals t = totals();
  std::cerr << tool_ << ": archive " << url_.shown << ": " << t.rows << " rows, " << t.configs << " configurations, "
            << t.events << " events in " << t.transactions << " transactions; " << t.dropped
            << " rows dropped (buffer " << bound_ << " rows), " << t.outages << " database outages; "
            << t.drain_seconds << " s to write what was buffered at the end";
  if (t.unwritten) std::cerr << "; " << t.unwritten << " rows NOT written: the database did not come back";
  std::cerr << "\n";
}

ArchiveTotals Archive::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

// ---- the writer's side ---------------------------------------------------------------

bool Archive::TakeInput(Batch& batch, std::size_t& rows) {
  std::vector<std::byte> records;
  {
    std::unique_lock lock(mu_);
    // Up to a batch interval to gather rows, less when a whole batch is there.
    wake_.wait_for(lock, kBatchInterval, [this] { return stopping_ || incoming_rows_ >= kWakeRows; });
    records.swap(incoming_);
    incoming_rows_ = 0;
    batch.events.swap(events_);
  }
  rows = 0;
  Decode(records, batch);
  rows = batch.reports.size();
  return !batch.empty();
}

void Archive::Decode(const std::vector<std::byte>& records, Batch& batch) {
  std::size_t at = 0;
  while (at + sizeof(RecordHeader) <= records.size()) {
    RecordHeader h;
    std::memcpy(&h, records.data() + at, sizeof(h));
    const std::span<const std::byte> bytes(records.data() + at + sizeof(h), h.size);
    at += sizeof(h) + Padded(h.size);
    if (h.type == kConfigRecord) {
      TakeConfig(h.source, bytes, h.stamp, batch);
      continue;
    }
    HeldConfig& held = configs_[h.source];
    // The reader checked the frame against its configuration, which it read first.
    if (!held.frame || !p::DecodeData(bytes, *held.frame, *data_).ok()) {
      std::lock_guard lock(mu_);
      buffered_rows_ -= std::min<std::size_t>(buffered_rows_, state_[h.source].blocks);
      continue;
    }
    for (std::size_t k = 0; k < data_->pmu_count; ++k) {
      batch.reports.emplace_back();
      FillReport(*held.frame, k, *data_, held.ids[k], batch.reports.back());
    }
  }
}

void Archive::TakeConfig(std::size_t source, std::span<const std::byte> bytes, std::int64_t seen_us, Batch& batch) {
  HeldConfig next;
  next.bytes.assign(bytes.begin(), bytes.end());
  next.frame = std::make_unique<p::ConfigFrame>();
  if (!p::DecodeConfig(std::span<const std::byte>(next.bytes), *next.frame).ok()) return;
  std::vector<ConfigRow> rows;
  for (std::size_t k = 0; k < next.frame->pmu_count; ++k) {
    rows.push_back(DescribeConfig(*next.frame, k, seen_us));
    next.ids.push_back(rows.back().config_id);
  }
  HeldConfig& held = configs_[source];
  const bool changed = held.ids != next.ids;
  held = std::move(next);
  if (!changed) return;
  for (ConfigRow& row : rows) {
    const std::string detail = "CFGCNT " + std::to_string(row.cfgcnt) + ", " + row.frame + ", station " + row.station +
                               ": " + std::to_string(row.phasor_names.size()) + " phasors, " +
                               std::to_string(row.analog_names.size()) + " analogs, " +
                               std::to_string(row.digital_names.size() / p::kDigitalBitsPerWord) + " digital words";
    batch.events.push_back({seen_us, seen_us, row.idcode, "config", 1, detail});
    if (!stored_configs_.contains(row.config_id)) batch.configs.push_back(std::move(row));
  }
}

bool Archive::Connect() {
  if (writer_) return true;
  try {
    writer_ = OpenWriter(url_);
    return true;
  } catch (const ArchiveError& e) {
    std::lock_guard lock(mu_);
    last_error_ = e.what();
    return false;
  }
}

void Archive::Commit(Batch& batch, std::size_t rows) {
  writer_->Write(batch);
  std::lock_guard lock(mu_);
  buffered_rows_ -= std::min(buffered_rows_, rows);
  totals_.rows += batch.reports.size();
  totals_.configs += batch.configs.size();
  totals_.events += batch.events.size();
  ++totals_.transactions;
  for (const ConfigRow& c : batch.configs) stored_configs_.insert(c.config_id);
}

void Archive::WriterMain() {
  Batch batch;         // decoded, waiting to be written
  std::size_t rows = 0;
  auto backoff = kMinBackoff;
  std::chrono::steady_clock::time_point down_since{}, give_up{};
  std::int64_t outage_us = 0;
  bool down = false;
  for (;;) {
    bool stopping = false, drained = false;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
      drained = incoming_.empty() && events_.empty();
    }
    if (batch.empty()) {
      if (stopping && drained) break;
      TakeInput(batch, rows);
      if (batch.empty()) continue;
    }
    // A large backlog (after an outage) goes in several transactions.
    Batch part;
    std::size_t part_rows = rows;
    const bool split = batch.reports.size() > kMaxBatchRows;
    if (split) {
      part.configs.swap(batch.configs);
      part.events.swap(batch.events);
      part.reports.assign(std::make_move_iterator(batch.reports.begin()),
                          std::make_move_iterator(batch.reports.begin() + kMaxBatchRows));
      part_rows = kMaxBatchRows;
    }
    Batch& now = split ? part : batch;
    try {
      if (!Connect()) throw ArchiveError(last_error_);
      Commit(now, part_rows);
      if (down) {
        down = false;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - down_since).count();
        std::cerr << tool_ << ": archive: " << url_.shown << " is back after " << seconds << " s\n";
        std::lock_guard lock(mu_);
        events_.push_back({outage_us, NowUtcUs(), -1, "archive_outage", 1, last_error_});
        last_error_.clear();
      }
      backoff = kMinBackoff;
      if (split) {
        batch.reports.erase(batch.reports.begin(), batch.reports.begin() + kMaxBatchRows);
        rows -= kMaxBatchRows;
      } else {
        batch = Batch{};
        rows = 0;
      }
    } catch (const ArchiveError& e) {
      if (split) {  // put the part back: nothing of it was stored
        batch.configs.swap(part.configs);
        batch.events.swap(part.events);
        std::move(part.reports.begin(), part.reports.end(), batch.reports.begin());
      }
      writer_.reset();
      if (!down) {
        down = true;
        down_since = std::chrono::steady_clock::now();
        outage_us = NowUtcUs();
        std::lock_guard lock(mu_);
        last_error_ = e.what();
        ++totals_.outages;
        std::cerr << tool_ << ": archive: " << url_.shown << ": " << e.what() << "; keeping up to " << bound_
                  << " rows and reconnecting\n";
      }
      if (stopping) {
        if (give_up == std::chrono::steady_clock::time_point{}) give_up = std::chrono::steady_clock::now() + kFinishGrace;
        if (std::chrono::steady_clock::now() >= give_up) {
          std::lock_guard lock(mu_);
          totals_.unwritten = buffered_rows_;
          break;
        }
      }
      // New rows meanwhile wait in incoming_, where the bound counts them.
      if (stopping) {
        std::this_thread::sleep_for(kMinBackoff);
      } else {
        std::unique_lock lock(mu_);
        wake_.wait_for(lock, backoff, [this] { return stopping_; });
      }
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
}

}  // namespace pmu::pdc::archive
