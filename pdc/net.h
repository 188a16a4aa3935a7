// Socket helpers for the PDC tools: name resolution, connecting with a deadline,
// reading with an inactivity timeout. Errors are reported as NetError exceptions that
// carry a message for the user (the tools print it and exit with status 3).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace pmu::pdc {

struct NetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Family { kAny, kIpv4, kIpv6 };

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family() const { return addr.ss_family; }
  std::string ToString() const;  // "192.0.2.2:5003" or "[2001:db8::2]:5003"
  const char* FamilyName() const { return family() == AF_INET6 ? "ipv6" : "ipv4"; }
};

// Resolves host (name or literal, IPv6 with an optional %zone) for a TCP or UDP port.
std::vector<Endpoint> Resolve(const std::string& host, unsigned port, Family family, int socktype);

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

using Clock = std::chrono::steady_clock;

// Connects to the first endpoint that accepts within `timeout`, trying them in
// order; `connected` receives the one used.
Socket ConnectTcp(const std::vector<Endpoint>& endpoints, std::chrono::milliseconds timeout,
                  Endpoint* connected);

// Sends everything (blocking socket with a send timeout).
void SendAll(const Socket& s, const void* data, std::size_t size, std::chrono::milliseconds timeout);

// One recv(); waits at most `timeout` for data. Returns bytes read, 0 at end of stream.
std::size_t RecvSome(const Socket& s, void* buffer, std::size_t size, std::chrono::milliseconds timeout);

// A connected byte stream the answer readers work on: plain TCP here, TLS in
// tls_client.h. Errors are thrown as NetError.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual void Send(const void* data, std::size_t size) = 0;
  // Waits at most the stream's timeout for data; returns bytes read, 0 at the end.
  virtual std::size_t Receive(void* buffer, std::size_t size) = 0;
  // Tells the peer nothing more will be sent.
  virtual void ShutdownWrite() = 0;
};

class TcpStream final : public ByteStream {
 public:
  TcpStream(Socket socket, std::chrono::milliseconds timeout) : socket_(std::move(socket)), timeout_(timeout) {}
  void Send(const void* data, std::size_t size) override { SendAll(socket_, data, size, timeout_); }
  std::size_t Receive(void* buffer, std::size_t size) override { return RecvSome(socket_, buffer, size, timeout_); }
  void ShutdownWrite() override { shutdown(socket_.fd(), SHUT_WR); }
  const Socket& socket() const { return socket_; }

 private:
  Socket socket_;
  std::chrono::milliseconds timeout_;
};

// Parses "1.5", "30", "250ms" into milliseconds.
std::chrono::milliseconds ParseDuration(const std::string& text);

}  // namespace pmu::pdc
