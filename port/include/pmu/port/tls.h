// TLS for the device's services, on lwIP's altcp_tls over mbedTLS 2.28, with the
// pitfalls of lwIP 2.1.3's altcp_tls_mbedtls avoided on purpose:
//   - every mbedTLS allocation comes from one static arena (MEMORY_BUFFER_ALLOC), not
//     the lwIP heap: lwIP's own config creator would point mbedTLS at the lwIP heap,
//     so this port builds its TLS configurations itself (lwIP only ever reads the
//     mbedtls_ssl_config at the start of the object it is given);
//   - configurations are created once and never freed (freeing one leaks in lwIP);
//   - the client verification mode is set explicitly (lwIP's default is OPTIONAL);
//   - PEM input is passed with its terminating NUL.
// TLS 1.2 only, ECDHE-ECDSA with AEAD suites only (the mbedTLS configuration has no
// other); no renegotiation, no compression.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lwip/altcp.h"
#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"
#include "pmu/hal/entropy.h"
#include "pmu/port/connection.h"

namespace pmu::port {

#ifndef PMU_TLS_ARENA_BYTES
#define PMU_TLS_ARENA_BYTES (56 * 1024)
#endif
inline constexpr std::size_t kTlsArenaBytes = PMU_TLS_ARENA_BYTES;

struct TlsArenaStats {
  std::size_t size = 0;
  std::size_t used = 0;    // bytes in use now (with the allocator's headers)
  std::size_t peak = 0;    // high-water mark since boot
  std::size_t blocks = 0;  // allocations alive now
};

using TlsDiagnostic = void (*)(void* context, const char* line);
using UtcSecondsFn = std::int64_t (*)(void* context);

// Points every mbedTLS allocation at the static arena and gives mbedTLS the device's
// UTC. Once, at start-up, before any mbedTLS call that allocates (TLS, and Fernet's
// HMAC, which runs whether or not the device has a TLS identity). On the board mbedTLS
// has no other heap: an allocation before this call gets NULL.
void InitCryptoHeap(UtcSecondsFn utc_seconds, void* time_context);
// Seeds the shared CTR_DRBG from `entropy` for TLS and keys the device makes; needs
// InitCryptoHeap first. `diagnostic` receives one line for each refused certificate.
Status InitTls(hal::Entropy& entropy, TlsDiagnostic diagnostic, void* diagnostic_context);
TlsArenaStats GetTlsArenaStats();
// mbedTLS's random generator, for keys the device makes (CSR flow).
int TlsRandom(void* unused, unsigned char* out, std::size_t size);

// Sessions share the arena: at most `limit` TLS sessions at once over every TLS
// service, of which kShared users hold at most limit - 1, so anonymous clients of the
// TLS command service can never take the operator's last slot. A connection asks
// at its accept and leaves when it ends.
class TlsSessionGate {
 public:
  static void SetLimit(std::size_t limit);
  static bool TryEnter(TlsSlots slots);
  static void Leave(TlsSlots slots);
  static std::size_t active();
  static std::size_t limit();
};

// The largest TLS record (its length field) the device accepts: a full input buffer
// of plaintext plus the AEAD suites' expansion (an 8-byte explicit nonce and a
// 16-byte tag). A longer record cannot be read into mbedTLS's input buffer.
std::size_t TlsMaxRecordLength();

// The handshake of a TLS connection is complete (true on plain TCP).
bool TlsHandshakeDone(altcp_pcb* conn);
// Sends the fatal record_overflow alert on a TLS connection.
void TlsSendRecordOverflow(altcp_pcb* conn);

enum class ClientAuth : std::uint8_t { kNone, kOptional, kRequired };
const char* ClientAuthName(ClientAuth mode);

class TlsServer {
 public:
  TlsServer() = default;
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  // Parses the trust anchor for client certificates, the device's certificate and its
  // private key (PEM texts; a NUL is added), checks that key and certificate belong
  // together, and sets the client authentication mode. `allowed_clients` is a
  // comma-separated list of client certificate common names (ignored for kNone);
  // it must outlive the server.
  Status Init(std::string_view ca_pem, std::string_view cert_pem, std::string_view key_pem, ClientAuth auth,
              std::string_view allowed_clients, const char* tag);

  // For altcp_new(): listeners and connections of this server.
  altcp_allocator_t* allocator() { return &allocator_; }
  ClientAuth auth() const { return auth_; }

  // New handshakes present this certificate and key from now on (the CSR flow).
  // Connections already established keep theirs.
  Status ReplaceIdentity(std::string_view cert_pem, std::string_view key_pem);
  const mbedtls_x509_crt& certificate() const { return own_cert_[current_]; }
  const mbedtls_x509_crt& trust_anchor() const { return ca_; }

  // After the handshake (when the first application data arrives): the peer, or the
  // reason to refuse it under this server's policy.
  Result<TlsPeer> CheckPeer(altcp_pcb* conn, FixedString<120>* why_refused) const;

 private:
  static int Verify(void* self, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags);
  bool Allowed(std::string_view common_name) const;

  // lwIP's altcp_tls reads a `struct altcp_tls_config` whose first member is this;
  // it must stay the first member (see the static_assert in tls.cc).
  mbedtls_ssl_config conf_;
  altcp_allocator_t allocator_{};
  mbedtls_x509_crt ca_;
  mbedtls_x509_crt own_cert_[2];  // the current identity and the one replacing it
  mbedtls_pk_context own_key_[2];
  std::size_t current_ = 0;
  ClientAuth auth_ = ClientAuth::kNone;
  std::string_view allowed_;
  const char* tag_ = "tls";
  bool initialised_ = false;
};

// Queues a close_notify alert on a TLS connection whose handshake is done, so the
// peer can tell the end of the data from a truncation (lwIP's altcp_tls close does not
// send one). kOk when queued (or nothing to do: not TLS, handshake not done),
// kResourceExhausted when the send buffer is full (call again once data was acked).
Status TlsCloseNotify(altcp_pcb* conn);

// From a session's error callback, when altcp_tls is about to close a connection whose
// handshake failed: lets lwIP close with FIN after the alert mbedTLS queued (naming
// the reason: unknown CA, expired, access denied...), instead of a reset that discards
// it. lwIP 2.1.3 resets a connection whose received data was not all read, and the
// client's last handshake records never are when verification fails. Does nothing on
// plain TCP or when the TCP connection is already gone.
void TlsLetAlertOut(altcp_pcb* conn);

// The common name of a certificate's subject.
FixedString<64> CommonName(const mbedtls_x509_crt& crt);
// "2026-11-22T10:00:00Z" for a certificate time.
FixedString<24> FormatX509Time(const mbedtls_x509_time& t);
// mbedTLS error code as text ("X509 - Certificate verification failed...").
FixedString<120> TlsErrorText(int code);

}  // namespace pmu::port
