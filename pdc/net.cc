#include "net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pmu::pdc {

std::string Endpoint::ToString() const {
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
  char serv[8] = {};
  getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), serv, sizeof(serv),
              NI_NUMERICHOST | NI_NUMERICSERV);
  if (family() == AF_INET6) return "[" + std::string(host) + "]:" + serv;
  return std::string(host) + ":" + serv;
}

std::vector<Endpoint> Resolve(const std::string& host, unsigned port, Family family, int socktype) {
  addrinfo hints{};
  hints.ai_family = family == Family::kIpv4 ? AF_INET : family == Family::kIpv6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME || rc == EAI_NODATA) {
    // Without AI_ADDRCONFIG a literal still resolves where only loopback is configured.
    hints.ai_flags = 0;
    rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  }
  if (rc != 0) {
    const char* fam = family == Family::kIpv4 ? " (IPv4)" : family == Family::kIpv6 ? " (IPv6)" : "";
    throw NetError("cannot resolve '" + host + "'" + fam + ": " + gai_strerror(rc));
  }
  std::vector<Endpoint> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Endpoint e;
    std::memcpy(&e.addr, ai->ai_addr, ai->ai_addrlen);
    e.len = ai->ai_addrlen;
    bool dup = false;
    for (const Endpoint& o : out) dup = dup || (o.len == e.len && std::memcmp(&o.addr, &e.addr, e.len) == 0);
    if (!dup) out.push_back(e);
  }
  freeaddrinfo(res);
  if (out.empty()) throw NetError("no address for '" + host + "'");
  return out;
}

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

namespace {

int WaitFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int rc = poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) throw NetError(std::string("poll: ") + std::strerror(errno));
    return rc;
  }
}

}  // namespace

Socket ConnectTcp(const std::vector<Endpoint>& endpoints, std::chrono::milliseconds timeout,
                  Endpoint* connected) {
  std::string errors;
  for (const Endpoint& e : endpoints) {
    Socket s(socket(e.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) throw NetError(std::string("socket: ") + std::strerror(errno));
    int err = 0;
    if (connect(s.fd(), reinterpret_cast<const sockaddr*>(&e.addr), e.len) < 0) {
      if (errno != EINPROGRESS) {
        err = errno;
      } else if (WaitFor(s.fd(), POLLOUT, timeout) == 0) {
        err = ETIMEDOUT;
      } else {
        socklen_t len = sizeof(err);
        getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      // Back to blocking; reads and writes use poll deadlines.
      fcntl(s.fd(), F_SETFL, fcntl(s.fd(), F_GETFL) & ~O_NONBLOCK);
      if (connected) *connected = e;
      return s;
    }
    if (!errors.empty()) errors += "; ";
    errors += e.ToString() + ": " + std::strerror(err);
  }
  throw NetError("cannot connect: " + errors);
}

void SendAll(const Socket& s, const void* data, std::size_t size, std::chrono::milliseconds timeout) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    if (WaitFor(s.fd(), POLLOUT, timeout) == 0) throw NetError("timed out sending");
    const ssize_t n = send(s.fd(), p, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw NetError(std::string("send: ") + std::strerror(errno));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::size_t RecvSome(const Socket& s, void* buffer, std::size_t size, std::chrono::milliseconds timeout) {
  for (;;) {
    if (WaitFor(s.fd(), POLLIN, timeout) == 0) {
      throw NetError("timed out: nothing received for " + std::to_string(timeout.count()) + " ms");
    }
    const ssize_t n = recv(s.fd(), buffer, size, MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR || errno == EAGAIN) continue;
    throw NetError(std::string("receive: ") + std::strerror(errno));
  }
}

std::chrono::milliseconds ParseDuration(const std::string& text) {
  std::string t = text;
  double scale = 1000.0;
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "ms") == 0) {
    scale = 1.0;
    t.resize(t.size() - 2);
  } else if (!t.empty() && t.back() == 's') {
    t.pop_back();
  }
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != t.size() || t.empty() || v < 0) throw std::invalid_argument("bad duration '" + text + "'");
  return std::chrono::milliseconds(static_cast<long long>(v * scale + 0.5));
}

}  // namespace pmu::pdc
