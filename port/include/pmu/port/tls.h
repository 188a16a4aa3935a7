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
// The firmware sees no mbedTLS type: a TlsServer's parsed certificates, key and
// configuration live in port/ (tls_internal.h), at most kMaxTlsServers of them.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/fixed_string.h"
#include "pmu/base/report.h"
#include "pmu/base/result.h"
#include "pmu/hal/entropy.h"
#include "pmu/port/connection.h"
#include "pmu/port/crypto_heap.h"
#include "pmu_target_config.h"

namespace pmu::port {

// TLS servers a device can have: the TLS command service and the operator console.
inline constexpr std::size_t kMaxTlsServers = 2;

// The longest PEM text the TLS servers parse (a certificate chain of two or three P-256
// certificates, a trust anchor, a key); a longer one is refused with an error saying so.
inline constexpr std::size_t kMaxPemBytes = 2048;

using TlsDiagnostic = void (*)(void* context, const char* line);

// Seeds the shared CTR_DRBG from `entropy` for TLS and keys the device makes; needs
// InitCryptoHeap first. `diagnostic` receives one line for each refused certificate.
Status InitTls(hal::Entropy& entropy, TlsDiagnostic diagnostic, void* diagnostic_context);

// The arena and the session slots, as a part of the statistics report.
const StatsReporter& TlsReport();

// Sessions share the arena: at most `limit` TLS sessions at once over every TLS
// service, of which kShared users hold at most limit - 1, so anonymous clients of the
// TLS command service can never take the operator's last slot. A connection takes a
// slot at its accept and gives it back when it ends. The slot also keeps the name on
// the client's certificate, which the handshake reads: mbedTLS keeps no client
// certificate past its verification (that saves 2 KiB of the arena per session).
class TlsSessionGate {
 public:
  // More than any configuration asks for (tls.max_sessions); SetLimit clamps to it.
  static constexpr std::size_t kCapacity = 4;

  static void SetLimit(std::size_t limit);
  // A free slot, or kNoTlsSlot.
  static TlsSlotId TryEnter(TlsSlots slots);
  static void Leave(TlsSlotId slot);
  static std::size_t active();
  static std::size_t limit();
};

enum class ClientAuth : std::uint8_t { kNone, kOptional, kRequired };
const char* ClientAuthName(ClientAuth mode);

// Text about a certificate, one line at a time (console `cert info`).
using CertificateText = FixedString<240>;

class TlsServer {
 public:
  enum class Which : std::uint8_t { kOwn, kTrustAnchor };

  TlsServer() = default;
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  // Parses the trust anchor for client certificates, the device's certificate and its
  // private key (PEM texts; a NUL is added), checks that key and certificate belong
  // together, and sets the client authentication mode. `allowed_clients` is a
  // comma-separated list of client certificate common names (ignored for kNone);
  // it must outlive the server. kResourceExhausted beyond kMaxTlsServers.
  Status Init(std::string_view ca_pem, std::string_view cert_pem, std::string_view key_pem, ClientAuth auth,
              std::string_view allowed_clients, const char* tag);
  bool initialised() const { return state_ != nullptr; }
  ClientAuth auth() const { return auth_; }

  // New handshakes present this certificate and key from now on (the CSR flow).
  // Connections already established keep theirs.
  Status ReplaceIdentity(std::string_view cert_pem, std::string_view key_pem);

  // The common name of the certificate the server presents.
  FixedString<64> CommonName() const;
  // Subject, issuer, serial, validity and names of a certificate, `index` 0..4; false
  // past the end.
  bool CertificateLine(Which which, std::size_t index, CertificateText* line) const;
  // Checks a certificate offered for installation: it parses, chains to the trust
  // anchor at the device's current time, is meant for a TLS server, and carries the
  // public key of `key_pem`. On failure, `why` says what is wrong.
  Status CheckCertificateForKey(std::string_view cert_pem, std::string_view key_pem, FixedString<160>* why) const;

  // port/ only (tls_internal.h): the parsed identity and configuration.
  struct State;
  State* state() const { return state_; }

 private:
  State* state_ = nullptr;
  ClientAuth auth_ = ClientAuth::kNone;
};

// Makes a new P-256 key pair and a CSR for "CN=<common_name>, O=PMU lab", signed with
// it, with the TLS random generator (seeded from the HAL's entropy: see docs for what
// that means on a board without a hardware random source). Writes the private key
// (PEM) into `key_pem` and the CSR (PEM) into `csr_pem`; returns their lengths through
// the out-parameters.
Status MakeKeyAndCsr(std::string_view common_name, std::span<char> key_pem, std::size_t* key_len,
                     std::span<char> csr_pem, std::size_t* csr_len);

}  // namespace pmu::port
