// The simulator's other devices: host clocks, entropy, a storage file and a log file.
#pragma once

#include <cstdio>
#include <string>

#include "pmu/base/xoshiro.h"
#include "pmu/hal/clock.h"
#include "pmu/hal/entropy.h"
#include "pmu/hal/log_sink.h"
#include "pmu/hal/storage.h"

namespace pmu::hal::linux_host {

// CLOCK_MONOTONIC and CLOCK_REALTIME.
class HostClock final : public Clock {
 public:
  std::uint64_t MonotonicNs() const override;
  std::int64_t UtcNs() const override;
};

// The simulated device's oscillator: CLOCK_MONOTONIC run `drift_ppb` fast (slow when
// negative), and a UTC set at start to the host's plus `offset_ns`, advancing with that
// oscillator. The device's clock is this one, not the host's: it drifts away from the
// host's UTC until a time source (the PTP slave) disciplines it.
class SimulatedClock final : public Clock {
 public:
  SimulatedClock(std::int64_t offset_ns, std::int64_t drift_ppb);
  std::uint64_t MonotonicNs() const override { return AtHostMonotonic(host_.MonotonicNs()); }
  std::int64_t UtcNs() const override { return UtcAt(MonotonicNs()); }
  std::int64_t UtcAt(std::uint64_t monotonic_ns) const override;
  // This oscillator's reading at the host's CLOCK_MONOTONIC instant `host_monotonic_ns`
  // (a time stamp the host's kernel took, for the TAP link).
  std::uint64_t AtHostMonotonic(std::uint64_t host_monotonic_ns) const;
  std::int64_t offset_ns() const { return offset_ns_; }
  std::int64_t drift_ppb() const { return drift_ppb_; }

 private:
  HostClock host_;
  std::int64_t offset_ns_;
  std::int64_t drift_ppb_;
  std::uint64_t host_mono0_;
  std::int64_t host_utc0_;
};

// getrandom(2) by default; with a seed, a deterministic generator (xoshiro256**
// seeded through SplitMix64) so that a test can reproduce every random choice the
// device makes. A seeded source is not suitable for keys; the simulator says so in
// its log when one is used.
class HostEntropy final : public Entropy {
 public:
  HostEntropy() = default;
  explicit HostEntropy(std::uint64_t seed);
  bool seeded() const { return seeded_; }
  Status Fill(MutableByteSpan out) override;

 private:
  bool seeded_ = false;
  Xoshiro256 generator_;
};

// A file of a fixed size standing in for flash. Created (filled with 0xFF) when
// missing; writes are flushed to disk before Write returns.
class FileStorage final : public Storage {
 public:
  FileStorage() = default;
  ~FileStorage() override;
  FileStorage(const FileStorage&) = delete;
  FileStorage& operator=(const FileStorage&) = delete;

  Status Open(const std::string& path, std::size_t size);
  std::size_t size() const override { return size_; }
  Status Read(std::size_t offset, MutableByteSpan out) override;
  Status Write(std::size_t offset, ByteSpan data) override;

 private:
  int fd_ = -1;
  std::size_t size_ = 0;
};

// Writes each log line to a stdio stream and flushes it, so that a test reading the
// file sees every line the device has logged.
class StreamLogSink final : public LogSink {
 public:
  explicit StreamLogSink(std::FILE* stream) : stream_(stream) {}
  void WriteLine(std::string_view line) override;

 private:
  std::FILE* stream_;
};

}  // namespace pmu::hal::linux_host
