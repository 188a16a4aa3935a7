#include "pmu/hal/linux/tap_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
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
#include <ctime>

namespace pmu::hal::linux_host {
namespace {

constexpr std::uint16_t kEtherTypePtp = 0x88F7;
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kPtpEventPort = 319;

std::uint16_t Be16(ByteSpan f, std::size_t at) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(f[at]) << 8) | std::to_integer<unsigned>(f[at + 1]));
}

// The frames whose stamps the PTP slave uses: untagged PTP over Ethernet, and the first
// fragment-free UDP/IPv4 datagram to the event port. The stamp socket's filter below
// says the same to the kernel.
bool IsPtpEventFrame(ByteSpan f) {
  if (f.size() < 14) return false;
  const std::uint16_t type = Be16(f, 12);
  if (type == kEtherTypePtp) return true;
  if (type != kEtherTypeIpv4 || f.size() < 34) return false;
  const std::size_t ihl = (std::to_integer<std::size_t>(f[14]) & 0x0F) * 4;
  if (std::to_integer<unsigned>(f[23]) != 17 || (Be16(f, 20) & 0x1FFF) != 0) return false;
  return f.size() >= 14 + ihl + 4 && Be16(f, 14 + ihl + 2) == kPtpEventPort;
}

std::int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

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
  if (stamp_fd_ >= 0) close(stamp_fd_);
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
    if (n == static_cast<ssize_t>(frame.size())) {
      // The host's stack took the frame within the write: its stamp is queued by now.
      if (stamp_fd_ >= 0 && IsPtpEventFrame(frame)) {
        if (const std::uint64_t k = KernelStampOf(frame, false); k != 0) sent_at_ns_ = k;
      }
      return Status::Ok();
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      return ResourceExhausted("TAP transmit queue full");
    }
    if (n < 0 && errno == EIO) return Unavailable("TAP interface is down");
    return Unavailable("TAP write failed");
  }
}

Status TapLink::StartReader(const SimulatedClock& clock) {
  if (fd_ < 0) return FailedPrecondition("TAP link not open");
  if (reader_.joinable()) return FailedPrecondition("TAP reader already started");
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0 || stop_fd_ < 0) return Unavailable("eventfd failed");
  clock_ = &clock;
  queue_ = std::make_unique<Slot[]>(kQueueFrames);
  OpenStampSocket();
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
      if (stamp_fd_ >= 0 && IsPtpEventFrame(ByteSpan(frame.data, frame.size))) {
        // The kernel queued its copy before the TAP's, so it is there already.
        if (const std::uint64_t k = KernelStampOf(ByteSpan(frame.data, frame.size), true); k != 0) {
          frame.stamp_ns = k;
        }
      }
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

void TapLink::OpenStampSocket() {
  // Protocol 0 until bound: no frame is queued before the filter is in place.
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;  // no CAP_NET_RAW: the thread's stamps
  // IsPtpEventFrame in classic BPF: EtherType 0x88F7, or IPv4, UDP, not a later
  // fragment, destination port 319 behind the IPv4 header's own length.
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kEtherTypePtp, 8, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kEtherTypeIpv4, 0, 8),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1FFF, 4, 0),
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kPtpEventPort, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xFFFF),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  const sock_fprog program{static_cast<unsigned short>(sizeof(code) / sizeof(code[0])), code};
  const int on = 1;
  sockaddr_ll where{};
  where.sll_family = AF_PACKET;
  where.sll_protocol = htons(ETH_P_ALL);
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname_, sizeof(ifname_));
  if (ctl_fd_ >= 0 && ioctl(ctl_fd_, SIOCGIFINDEX, &ifr) == 0) where.sll_ifindex = ifr.ifr_ifindex;
  if (where.sll_ifindex == 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&where), sizeof(where)) < 0) {
    close(fd);
    return;
  }
  stamp_fd_ = fd;
}

void TapLink::DrainStampSocket() {
  // The kernel's stamps are CLOCK_REALTIME; the oscillator runs on CLOCK_MONOTONIC. Their
  // difference, read now, moves only if the host's clock is stepped or slewed meanwhile
  // (a slew of 500 ppm moves it 0.5 ns in the microsecond a stamp waits here).
  const std::int64_t realtime_to_monotonic = Read(CLOCK_MONOTONIC) - Read(CLOCK_REALTIME);
  for (;;) {
    // Into a buffer of its own: the ring's slot is overwritten only by a stamped copy.
    std::byte data[sizeof(KernelStamp::data)];
    sockaddr_ll from{};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    iovec iov{data, sizeof(data)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = recvmsg(stamp_fd_, &msg, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // drained
    }
    const cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec ts{};
    std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
    KernelStamp& k = stamps_[next_stamp_];
    std::memcpy(k.data, data, sizeof(data));
    k.used = true;
    k.outgoing = from.sll_pkttype == PACKET_OUTGOING;
    k.size = static_cast<std::size_t>(n);
    k.host_ns = static_cast<std::uint64_t>(static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec +
                                           realtime_to_monotonic);
    next_stamp_ = (next_stamp_ + 1) % kStamps;
  }
}

std::uint64_t TapLink::KernelStampOf(ByteSpan frame, bool outgoing) {
  std::lock_guard<std::mutex> lock(stamp_mutex_);
  DrainStampSocket();
  const std::size_t compared = frame.size() < sizeof(KernelStamp::data) ? frame.size() : sizeof(KernelStamp::data);
  for (KernelStamp& k : stamps_) {
    if (k.used && k.outgoing == outgoing && k.size == frame.size() && std::memcmp(k.data, frame.data(), compared) == 0) {
      k.used = false;
      return clock_->AtHostMonotonic(k.host_ns);
    }
  }
  return 0;
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
