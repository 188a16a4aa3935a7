// What port/ knows of TLS beyond port/tls.h: a server's mbedTLS objects, and the
// operations the connection layer performs on altcp_tls connections.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lwip/altcp.h"
#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"
#include "pmu/port/connection.h"
#include "pmu/port/tls.h"

namespace pmu::port {

// The computation of a server's completed handshakes: the time inside mbedTLS's
// handshake calls, without the waits for the peer's records (tls.cc). Under QEMU with
// `-icount shift=0` one nanosecond is one instruction.
struct HandshakeCost {
  std::uint32_t count;
  std::uint64_t last_ns;
  std::uint64_t min_ns;
  std::uint64_t max_ns;
  std::uint64_t total_ns;

  void Add(std::uint64_t ns);
};

// SHA-256 of PEM texts: which texts a parsed identity came from.
using PemDigest = std::array<unsigned char, 32>;

// The trust anchor and the device's certificate and key, parsed. Servers initialised with
// the same texts share one (the TLS command service and the console do): parsed once, it
// holds the arena once.
struct TlsIdentity {
  mbedtls_x509_crt ca;
  mbedtls_x509_crt own_cert[2];  // the current pair and the one replacing it
  mbedtls_pk_context own_key[2];
  PemDigest own_texts[2];        // of each pair's certificate and key texts
  std::size_t current;
  PemDigest texts;               // of the texts Init parsed (trust anchor, certificate, key)
  bool used;

  const mbedtls_x509_crt& certificate() const { return own_cert[current]; }
};

// Kept in static storage and set by TlsServer::Init: no member initializers, so the
// slots are zero-initialized with the image rather than by start-up code.
struct TlsServer::State {
  // lwIP's altcp_tls reads a `struct altcp_tls_config` whose first member is this;
  // it must stay the first member (see the static_assert in tls.cc).
  mbedtls_ssl_config conf;
  altcp_allocator_t allocator;
  TlsIdentity* identity;
  ClientAuth auth;
  std::string_view allowed;
  const char* tag;
  HandshakeCost handshakes;
  // Application data written (plaintext bytes) and the time inside mbedTLS's write
  // calls for it: encryption and handing the records to TCP.
  std::uint64_t sent_bytes;
  std::uint64_t send_ns;

  const mbedtls_x509_crt& certificate() const { return identity->certificate(); }
  const mbedtls_x509_crt& trust_anchor() const { return identity->ca; }
  bool Allowed(std::string_view common_name) const;
};

// For altcp_new(): listeners and connections of `server`.
altcp_allocator_t* TlsAllocator(const TlsServer& server);

// At the accept of `conn`, a TLS connection of `server` that holds `slot`: its handshake
// records the client certificate's name in the slot.
void TlsBindSession(TlsSlotId slot, const TlsServer& server, altcp_pcb* conn);

// After the handshake (when the first application data arrives): the peer, or the
// reason to refuse it under the server's policy.
Result<TlsPeer> TlsCheckPeer(const TlsServer& server, altcp_pcb* conn, TlsSlotId slot, FixedString<120>* why_refused);

// The largest TLS record (its length field) the device accepts: a full input buffer
// of plaintext plus the AEAD suites' expansion (an 8-byte explicit nonce and a
// 16-byte tag). A longer record cannot be read into mbedTLS's input buffer.
std::size_t TlsMaxRecordLength();

// The handshake of a TLS connection is complete (true on plain TCP).
bool TlsHandshakeDone(altcp_pcb* conn);

// Sends the fatal record_overflow alert on a TLS connection.
void TlsSendRecordOverflow(altcp_pcb* conn);

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

// mbedTLS's random generator, for keys the device makes (CSR flow).
int TlsRandom(void* unused, unsigned char* out, std::size_t size);

// The common name of a certificate's subject.
FixedString<64> CommonName(const mbedtls_x509_crt& crt);

// "2026-11-22T10:00:00Z" for a certificate time.
FixedString<24> FormatX509Time(const mbedtls_x509_time& t);

// mbedTLS error code as text ("X509 - Certificate verification failed...").
FixedString<120> TlsErrorText(int code);

// An error code of this port, beyond the 16 bits of mbedTLS's (so no part of it reads
// as one of theirs): a PEM text over kMaxPemBytes.
inline constexpr int kPemTooLong = -0x10000;

// PEM text with its terminating NUL, as mbedTLS's parsers want it, in one scratch
// buffer (main loop only); nullptr when over kMaxPemBytes. `length_with_nul` receives its size.
const unsigned char* NulTerminatedPem(std::string_view pem, std::size_t* length_with_nul);
// Wipes the scratch buffer (after a private key went through it).
void WipePemScratch();

}  // namespace pmu::port
