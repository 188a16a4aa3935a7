#include "pmu/hal/linux/tap_link.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pmu::hal::linux_host {

TapLink::~TapLink() {
  if (reader_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    room_.notify_all();
    const std::uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
    reader_.join();
  }
  if (event_fd_ >= 0) close(event_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  if (fd_ >= 0) close(fd_);
  if (ctl_fd_ >= 0) close(ctl_fd_);
}

Status TapLink::Open(std::string_view ifname, const MacAddress& mac) {
  if (fd_ >= 0) return FailedPrecondition("TAP link already open");
  if (ifname.empty() || ifname.size() >= sizeof(ifname_)) return InvalidArgument("bad TAP interface name");
  std::memcpy(ifname_, ifname.data(), ifname.size());
  ifname_[ifname.size()] = '\0';
  mac_ = mac;

  fd_ = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) return Unavailable("cannot open /dev/net/tun (needs CAP_NET_ADMIN or a TAP owned by this user)");
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, ifname_, ifname.size());
  if (ioctl(fd_, TUNSETIFF, &ifr) < 0) {
    close(fd_);
    fd_ = -1;
    return Unavailable("TUNSETIFF failed: the TAP interface is busy or cannot be created here");
  }
  ctl_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  return Status::Ok();
}

bool TapLink::IsUp() {
  if (ctl_fd_ < 0) return false;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname_, sizeof(ifname_));
  if (ioctl(ctl_fd_, SIOCGIFFLAGS, &ifr) < 0) return false;
  return (ifr.ifr_flags & IFF_UP) != 0;
}

Status TapLink::Send(ByteSpan frame) {
  if (frame.size() < 14 || frame.size() > kMaxFrameSize) return InvalidArgument("frame size");
  for (;;) {
    if (clock_ != nullptr) sent_at_ns_ = clock_->MonotonicNs();
    const ssize_t n = write(fd_, frame.data(), frame.size());
    if (n == static_cast<ssize_t>(frame.size())) return Status::Ok();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      return ResourceExhausted("TAP transmit queue full");
    }
    if (n < 0 && errno == EIO) return Unavailable("TAP interface is down");
    return Unavailable("TAP write failed");
  }
}

Status TapLink::StartReader(const Clock& clock) {
  if (fd_ < 0) return FailedPrecondition("TAP link not open");
  if (reader_.joinable()) return FailedPrecondition("TAP reader already started");
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0 || stop_fd_ < 0) return Unavailable("eventfd failed");
  clock_ = &clock;
  queue_ = std::make_unique<Slot[]>(kQueueFrames);
  // The reader takes no signal (the simulator reads its own through a signalfd in the
  // main loop): it starts with every signal blocked.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &saved);
  reader_ = std::thread([this] { ReadLoop(); });
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return Status::Ok();
}

void TapLink::ReadLoop() {
  Slot frame;
  for (;;) {
    {
      // Room for a frame first: a full queue leaves the frames in the TAP's queue.
      std::unique_lock<std::mutex> lock(mutex_);
      room_.wait(lock, [this] { return stopping_ || count_ < kQueueFrames; });
      if (stopping_) return;
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    for (;;) {  // every frame pending while there is room, each stamped as it is read
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (count_ == kQueueFrames) break;
      }
      const Result<std::size_t> got = ReadDescriptor(MutableByteSpan(frame.data, sizeof(frame.data)));
      frame.stamp_ns = clock_->MonotonicNs();
      frame.oversized = !got.ok() && got.status().code() == StatusCode::kDataLoss;
      if (!frame.oversized && (!got.ok() || *got == 0)) break;  // drained (or down: poll says when)
      frame.size = got.ok() ? *got : 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        Slot& s = queue_[(head_ + count_) % kQueueFrames];
        s.stamp_ns = frame.stamp_ns;
        s.size = frame.size;
        s.oversized = frame.oversized;
        std::memcpy(s.data, frame.data, frame.size);
        ++count_;
      }
      const std::uint64_t one = 1;
      (void)!write(event_fd_, &one, sizeof(one));
    }
  }
}

Result<std::size_t> TapLink::Receive(MutableByteSpan buffer) {
  if (!reader_.joinable()) return ReadDescriptor(buffer);
  std::unique_lock<std::mutex> lock(mutex_);
  if (count_ == 0) {
    // Clear the signal, then look again: a frame queued in between has signalled anew
    // or is seen here.
    lock.unlock();
    std::uint64_t n = 0;
    (void)!read(event_fd_, &n, sizeof(n));
    lock.lock();
    if (count_ == 0) return std::size_t{0};
  }
  const Slot& s = queue_[head_];
  received_at_ns_ = s.stamp_ns;
  const bool oversized = s.oversized || s.size > buffer.size();
  const std::size_t size = oversized ? 0 : s.size;
  if (!oversized) std::memcpy(buffer.data(), s.data, size);
  head_ = (head_ + 1) % kQueueFrames;
  const bool was_full = count_-- == kQueueFrames;
  lock.unlock();
  if (was_full) room_.notify_one();
  if (oversized) return DataLoss("frame larger than the receive buffer");
  return size;
}

Result<std::size_t> TapLink::ReadDescriptor(MutableByteSpan buffer) {
  // A second vector catches frames longer than the caller's buffer so they are
  // reported instead of silently cut.
  char overflow[64];
  iovec iov[2] = {{buffer.data(), buffer.size()}, {overflow, sizeof(overflow)}};
  for (;;) {
    const ssize_t n = readv(fd_, iov, 2);
    if (n > static_cast<ssize_t>(buffer.size())) return DataLoss("frame larger than the receive buffer");
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
    return Unavailable("TAP read failed");
  }
}

}  // namespace pmu::hal::linux_host
