#include "link.h"

#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace pmu::pdc::c37 {

namespace p = proto::c37118;

Link::Link(const std::string& host, unsigned port, bool udp, Family family, std::chrono::milliseconds timeout)
    : udp_(udp), timeout_(timeout), stream_buffer_(p::kMaxFrameSize), decoder_(stream_buffer_), input_(65536) {
  const auto endpoints = Resolve(host, port, family, udp ? SOCK_DGRAM : SOCK_STREAM);
  if (udp) {
    peer_ = endpoints.front();
    socket_ = Socket(socket(peer_.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket_ || connect(socket_.fd(), reinterpret_cast<const sockaddr*>(&peer_.addr), peer_.len) < 0) {
      throw NetError("cannot set up UDP to " + peer_.ToString() + ": " + std::strerror(errno));
    }
  } else {
    socket_ = ConnectTcp(endpoints, timeout, &peer_);
    int one = 1;
    setsockopt(socket_.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
}

void Link::SendCommand(p::CommandCode code, std::uint16_t idcode) {
  p::CommandFrame cmd;
  cmd.idcode = idcode;
  cmd.command = code;  // SOC and FRACSEC 0: valid (docs/PROTOCOL.md)
  std::byte buf[p::kCommandFrameSize];
  const auto n = p::EncodeCommand(cmd, buf);
  SendAll(socket_, buf, *n, timeout_);
}

std::optional<p::Frame> Link::Next(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  for (;;) {
    if (!udp_) {
      // Frames already buffered first.
      const auto out = decoder_.Feed(std::span<const std::byte>(input_.data() + input_begin_, input_end_ - input_begin_));
      input_begin_ += out.consumed;
      if (out.frame) return out.frame;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{socket_.fd(), POLLIN, 0};
    const int rc = poll(&pfd, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (rc < 0 && errno == EINTR) return std::nullopt;  // a signal: let the caller look
    if (rc < 0) throw NetError(std::string("poll: ") + std::strerror(errno));
    if (rc == 0) return std::nullopt;
    const ssize_t n = recv(socket_.fd(), input_.data(), input_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw NetError(std::string("receive: ") + std::strerror(errno));
    }
    if (n == 0 && !udp_) throw NetError("the PMU closed the connection");
    bytes_ += static_cast<std::uint64_t>(n);
    if (udp_) {
      auto frame = p::ParseFrame(std::span<const std::byte>(input_.data(), static_cast<std::size_t>(n)));
      if (frame.ok()) return *frame;
      ++udp_rejected_;
      continue;
    }
    input_begin_ = 0;
    input_end_ = static_cast<std::size_t>(n);
  }
}

}  // namespace pmu::pdc::c37
