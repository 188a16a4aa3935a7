#include "pmu/hal/linux/tap_link.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pmu::hal::linux_host {

TapLink::~TapLink() {
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

Result<std::size_t> TapLink::Receive(MutableByteSpan buffer) {
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
