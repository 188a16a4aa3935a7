// The PDC's TLS client, on OpenSSL (an implementation independent of the device's
// mbedTLS): TLS 1.2 or later, the device's certificate verified against the given CA,
// for the given name or IP address (subjectAltName), within its validity period.
#pragma once

#include <CLI/CLI.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>

#include "net.h"

namespace pmu::pdc {

struct TlsClientOptions {
  std::string ca;          // PEM file of the CA that issued the device's certificate
  std::string cert;        // optional client certificate (PEM) ...
  std::string key;         // ... and its private key
  std::string servername;  // name or address to verify; default: the host given
};

// Adds --ca, --cert, --key, --servername to a subcommand. Defaults come from the
// environment: PMU_TLS_CA, PMU_TLS_CERT, PMU_TLS_KEY (the launcher's shell sets them).
void AddTlsOptions(CLI::App* sub, TlsClientOptions& o);

class TlsStream final : public ByteStream {
 public:
  // Handshakes over `socket` (connected) and verifies the device; throws NetError
  // with the reason (e.g. "certificate verify failed: certificate has expired").
  TlsStream(Socket socket, std::chrono::milliseconds timeout, const TlsClientOptions& options,
            const std::string& host);
  ~TlsStream() override;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  void Send(const void* data, std::size_t size) override;
  // Returns 0 at the device's close_notify; throws if the stream is cut without one.
  std::size_t Receive(void* buffer, std::size_t size) override;
  void ShutdownWrite() override;  // sends close_notify

  std::string version() const;
  std::string cipher() const;
  std::string peer_subject() const;
  std::string peer_not_after() const;  // "2029-02-24T04:29:49Z"
  bool close_notify_received() const { return close_notify_; }

 private:
  struct FreeCtx {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  struct FreeSsl {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  Socket socket_;
  // Owned by unique_ptr, so a handshake that throws from the constructor frees them.
  std::unique_ptr<SSL_CTX, FreeCtx> ctx_;
  std::unique_ptr<SSL, FreeSsl> ssl_;
  bool close_notify_ = false;
};

}  // namespace pmu::pdc
