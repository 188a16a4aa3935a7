#include "pmu/hal/linux/host_devices.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

namespace pmu::hal::linux_host {

std::uint64_t HostClock::MonotonicNs() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::int64_t HostClock::UtcNs() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

SimulatedClock::SimulatedClock(std::int64_t offset_ns, std::int64_t drift_ppb)
    : offset_ns_(offset_ns), drift_ppb_(drift_ppb), host_mono0_(host_.MonotonicNs()), host_utc0_(host_.UtcNs()) {}

std::uint64_t SimulatedClock::AtHostMonotonic(std::uint64_t host_monotonic_ns) const {
  // elapsed * (1 + drift / 1e9), without overflow for any run time.
  const auto elapsed = static_cast<std::int64_t>(host_monotonic_ns - host_mono0_);
  const std::int64_t gained =
      (elapsed / 1'000'000'000) * drift_ppb_ + (elapsed % 1'000'000'000) * drift_ppb_ / 1'000'000'000;
  return host_mono0_ + static_cast<std::uint64_t>(elapsed + gained);
}

std::int64_t SimulatedClock::UtcAt(std::uint64_t monotonic_ns) const {
  return host_utc0_ + offset_ns_ + static_cast<std::int64_t>(monotonic_ns - host_mono0_);
}

HostEntropy::HostEntropy(std::uint64_t seed) : seeded_(true), generator_(seed) {}

Status HostEntropy::Fill(MutableByteSpan out) {
  if (seeded_) {
    for (std::size_t i = 0; i < out.size(); i += 8) {
      const std::uint64_t v = generator_.Next();
      const std::size_t n = out.size() - i < 8 ? out.size() - i : 8;
      std::memcpy(out.data() + i, &v, n);
    }
    return Status::Ok();
  }
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable("getrandom failed");
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

FileStorage::~FileStorage() {
  if (fd_ >= 0) close(fd_);
}

Status FileStorage::Open(const std::string& path, std::size_t size) {
  if (fd_ >= 0) return FailedPrecondition("storage already open");
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return Unavailable("cannot open the storage file");
  struct stat st {};
  if (fstat(fd_, &st) < 0) return Unavailable("cannot stat the storage file");
  size_ = size;
  if (static_cast<std::size_t>(st.st_size) < size) {
    // Extend with erased bytes.
    std::vector<std::byte> erased(size - static_cast<std::size_t>(st.st_size), std::byte{0xFF});
    if (pwrite(fd_, erased.data(), erased.size(), st.st_size) != static_cast<ssize_t>(erased.size()) ||
        fdatasync(fd_) != 0) {
      return Unavailable("cannot initialise the storage file");
    }
  }
  return Status::Ok();
}

Status FileStorage::Read(std::size_t offset, MutableByteSpan out) {
  if (offset > size_ || out.size() > size_ - offset) return OutOfRange("read past the end of storage");
  if (pread(fd_, out.data(), out.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(out.size())) {
    return Unavailable("storage read failed");
  }
  return Status::Ok();
}

Status FileStorage::Write(std::size_t offset, ByteSpan data) {
  if (offset > size_ || data.size() > size_ - offset) return OutOfRange("write past the end of storage");
  if (pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(data.size()) ||
      fdatasync(fd_) != 0) {
    return Unavailable("storage write failed");
  }
  return Status::Ok();
}

void StreamLogSink::WriteLine(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stream_);
  std::fputc('\n', stream_);
  std::fflush(stream_);
}

}  // namespace pmu::hal::linux_host
