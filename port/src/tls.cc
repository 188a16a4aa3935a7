#include "pmu/port/tls.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <iterator>

#include "tls_internal.h"

#include "pmu/port/lwip_port.h"

#include "lwip/altcp_tls.h"
#include "lwip/tcp.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/oid.h"
#include "mbedtls/platform.h"
#include "mbedtls/sha256.h"
#include "mbedtls/ssl_internal.h"

namespace pmu::port {
namespace {

mbedtls_entropy_context g_entropy;
mbedtls_ctr_drbg_context g_drbg;
bool g_ready = false;
TlsDiagnostic g_diag = nullptr;
void* g_diag_context = nullptr;
std::size_t g_session_limit = 3;

// A TLS session slot: who holds it, and what its handshake learnt of the client.
struct SessionSlot {
  bool in_use;
  bool shared;
  bool has_certificate;
  const TlsServer::State* server;
  FixedString<64> client;  // the common name of the client's certificate
};
SessionSlot g_slots[TlsSessionGate::kCapacity];

// PEM parsing wants the terminating NUL inside the length; one scratch buffer serves
// every parse (main loop only).
char g_pem[kMaxPemBytes + 1];

// The servers' mbedTLS objects: static, so the firmware holding a TlsServer needs no
// mbedTLS type, and created once (lwIP must never free a configuration).
constinit TlsServer::State g_servers[kMaxTlsServers]{};
std::size_t g_servers_used = 0;
// At most one identity per server; servers given the same texts share one.
constinit TlsIdentity g_identities[kMaxTlsServers]{};
static_assert(offsetof(TlsServer::State, conf) == 0, "altcp_tls reads the configuration at the object's start");

class TlsReporter final : public StatsReporter {
 public:
  bool StatsLine(std::size_t index, ReportLine& t) const override {
    if (index == 0) {
      const CryptoArenaStats a = GetCryptoArenaStats();
      t.Format("tls arena size=%u used=%u peak=%u blocks=%u peak_blocks=%u sessions=%u/%u",
               static_cast<unsigned>(a.size), static_cast<unsigned>(a.used), static_cast<unsigned>(a.peak),
               static_cast<unsigned>(a.blocks), static_cast<unsigned>(a.peak_blocks),
               static_cast<unsigned>(TlsSessionGate::active()), static_cast<unsigned>(TlsSessionGate::limit()));
      return true;
    }
    if (index > g_servers_used) return false;
    const TlsServer::State& st = g_servers[index - 1];
    const HandshakeCost& h = st.handshakes;
    t.Format("tls server %s handshakes=%lu handshake_cpu_ns last=%llu min=%llu mean=%llu max=%llu sent_bytes=%llu"
             " send_cpu_ns=%llu",
             st.tag, static_cast<unsigned long>(h.count), static_cast<unsigned long long>(h.last_ns),
             static_cast<unsigned long long>(h.min_ns),
             static_cast<unsigned long long>(h.count ? h.total_ns / h.count : 0),
             static_cast<unsigned long long>(h.max_ns), static_cast<unsigned long long>(st.sent_bytes),
             static_cast<unsigned long long>(st.send_ns));
    return true;
  }
};
const TlsReporter g_report;

int HalEntropySource(void* data, unsigned char* out, std::size_t size, std::size_t* produced) {
  auto* entropy = static_cast<hal::Entropy*>(data);
  if (!entropy->Fill(AsWritableBytes(out, size)).ok()) return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
  *produced = size;
  return 0;
}

void Diagnose(const char* line) {
  if (g_diag != nullptr) g_diag(g_diag_context, line);
}

// mbedTLS found no room in the arena (an allocation failure of any of its modules; a
// code may combine a high-level and a low-level one).
bool OutOfArena(int rc) {
  const int high = -((-rc) & 0xFF80), low = -((-rc) & 0x7F);
  for (const int code : {MBEDTLS_ERR_SSL_ALLOC_FAILED, MBEDTLS_ERR_X509_ALLOC_FAILED, MBEDTLS_ERR_PK_ALLOC_FAILED,
                         MBEDTLS_ERR_ECP_ALLOC_FAILED, MBEDTLS_ERR_MPI_ALLOC_FAILED}) {
    if (rc == code || high == code || low == code) return true;
  }
  return false;
}

Status Fail(int rc, const char* what) {
  FixedString<200> line;
  line.Format("%s: %s", what, TlsErrorText(rc).c_str());
  Diagnose(line.c_str());
  // Not the input's fault: say so rather than blame it.
  if (OutOfArena(rc)) return ResourceExhausted("no room in the TLS arena");
  return InvalidArgument(what);
}

int ParseCertificate(mbedtls_x509_crt* crt, std::string_view pem) {
  std::size_t n = 0;
  const unsigned char* text = NulTerminatedPem(pem, &n);
  if (text == nullptr) return kPemTooLong;
  return mbedtls_x509_crt_parse(crt, text, n);
}

int ParseKey(mbedtls_pk_context* key, std::string_view pem) {
  std::size_t n = 0;
  const unsigned char* text = NulTerminatedPem(pem, &n);
  if (text == nullptr) return kPemTooLong;
  const int rc = mbedtls_pk_parse_key(key, text, n, nullptr, 0);
  WipePemScratch();  // no copy of a private key stays behind
  return rc;
}

int Verify(void* context, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags);

// SHA-256 over texts, each with its length, so no two lists of texts run together.
PemDigest DigestOf(std::initializer_list<std::string_view> texts) {
  PemDigest d{};
  mbedtls_sha256_context sha;
  mbedtls_sha256_init(&sha);
  mbedtls_sha256_starts_ret(&sha, 0);
  for (const std::string_view t : texts) {
    const std::uint32_t n = static_cast<std::uint32_t>(t.size());
    mbedtls_sha256_update_ret(&sha, reinterpret_cast<const unsigned char*>(&n), sizeof(n));
    mbedtls_sha256_update_ret(&sha, reinterpret_cast<const unsigned char*>(t.data()), t.size());
  }
  mbedtls_sha256_finish_ret(&sha, d.data());
  mbedtls_sha256_free(&sha);
  return d;
}

// Parses a certificate and its key into pair `slot` of `id` and checks that they belong
// together; `cert_what`, `key_what` and `pair_what` say what failed.
Status ParsePair(TlsIdentity& id, std::size_t slot, std::string_view cert_pem, std::string_view key_pem,
                 const char* cert_what, const char* key_what, const char* pair_what) {
  mbedtls_x509_crt_free(&id.own_cert[slot]);
  mbedtls_pk_free(&id.own_key[slot]);
  mbedtls_x509_crt_init(&id.own_cert[slot]);
  mbedtls_pk_init(&id.own_key[slot]);
  id.own_texts[slot] = PemDigest{};
  int rc = ParseCertificate(&id.own_cert[slot], cert_pem);
  if (rc != 0) return Fail(rc, cert_what);
  rc = ParseKey(&id.own_key[slot], key_pem);
  if (rc != 0) return Fail(rc, key_what);
  rc = mbedtls_pk_check_pair(&id.own_cert[slot].pk, &id.own_key[slot]);
  if (rc != 0) return Fail(rc, pair_what);
  id.own_texts[slot] = DigestOf({cert_pem, key_pem});
  return Status::Ok();
}

// A server's mbedTLS configuration: versions, suite, group, identity, client checks.
Status Configure(TlsServer::State& st, std::string_view ca_pem, std::string_view cert_pem,
                 std::string_view key_pem, ClientAuth auth);

void FreeIdentity(TlsIdentity& id) {
  mbedtls_x509_crt_free(&id.ca);
  for (std::size_t i = 0; i < 2; ++i) {
    mbedtls_x509_crt_free(&id.own_cert[i]);
    mbedtls_pk_free(&id.own_key[i]);
  }
  id = TlsIdentity{};
}

// The identity parsed from these texts: one a server already has, or a new one.
Result<TlsIdentity*> IdentityFor(std::string_view ca_pem, std::string_view cert_pem, std::string_view key_pem) {
  const PemDigest texts = DigestOf({ca_pem, cert_pem, key_pem});
  TlsIdentity* free = nullptr;
  for (TlsIdentity& id : g_identities) {
    if (id.used && id.texts == texts) return &id;
    if (!id.used && free == nullptr) free = &id;
  }
  if (free == nullptr) return ResourceExhausted("no TLS identity left (kMaxTlsServers)");
  TlsIdentity& id = *free;
  mbedtls_x509_crt_init(&id.ca);
  for (std::size_t i = 0; i < 2; ++i) {
    mbedtls_x509_crt_init(&id.own_cert[i]);
    mbedtls_pk_init(&id.own_key[i]);
  }
  id.current = 0;
  Status s = ParsePair(id, 0, cert_pem, key_pem, "device certificate", "device private key",
                       "device key and certificate do not belong together");
  // The trust anchor is kept for `cert info` and the CSR flow even without client auth.
  if (s.ok() && !ca_pem.empty()) {
    const int rc = ParseCertificate(&id.ca, ca_pem);
    if (rc != 0) s = Fail(rc, "trust anchor");
  }
  if (!s.ok()) {
    FreeIdentity(id);
    return s;
  }
  id.texts = texts;
  id.used = true;
  return &id;
}

// The one suite of the TLS policy (docs/PROTOCOL.md).
const int kCipherSuites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0};

// The key exchange group of the TLS policy (docs/PROTOCOL.md).
const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};

// ---- handshake and record cost ---------------------------------------------------------
// mbedtls_ssl_handshake runs when a peer's records have arrived and returns when it needs
// more, so the time inside it is the handshake's computation without the waits for the
// peer. lwIP's altcp_tls makes that call; the link routes it through
// __wrap_mbedtls_ssl_handshake below (port/CMakeLists.txt), which sums the calls of each
// connection until its handshake ends. mbedtls_ssl_write is timed the same way.
struct HandshakeClock {
  const mbedtls_ssl_context* ssl;
  std::uint64_t ns;
};
// One per session slot: every connection in its handshake holds one; an entry left by a
// connection reset in its handshake is taken over by a later one.
HandshakeClock g_clocks[TlsSessionGate::kCapacity];
std::size_t g_next_clock = 0;

HandshakeClock* StartClock(const mbedtls_ssl_context* ssl) {
  HandshakeClock* slot = nullptr;
  for (HandshakeClock& c : g_clocks) {
    if (c.ssl == ssl || (slot == nullptr && c.ssl == nullptr)) slot = &c;
  }
  if (slot == nullptr) slot = &g_clocks[g_next_clock++ % std::size(g_clocks)];
  *slot = HandshakeClock{ssl, 0};
  return slot;
}

HandshakeClock* FindClock(const mbedtls_ssl_context* ssl) {
  for (HandshakeClock& c : g_clocks) {
    if (c.ssl == ssl) return &c;
  }
  return nullptr;
}

TlsServer::State* ServerOf(const mbedtls_ssl_context* ssl) {
  for (std::size_t i = 0; i < g_servers_used; ++i) {
    if (ssl->conf == &g_servers[i].conf) return &g_servers[i];
  }
  return nullptr;
}

}  // namespace

void HandshakeCost::Add(std::uint64_t ns) {
  if (count == 0 || ns < min_ns) min_ns = ns;
  if (ns > max_ns) max_ns = ns;
  last_ns = ns;
  total_ns += ns;
  ++count;
}

extern "C" int __real_mbedtls_ssl_handshake(mbedtls_ssl_context* ssl);
extern "C" int __wrap_mbedtls_ssl_handshake(mbedtls_ssl_context* ssl) {
  // A server's handshake begins in HELLO_REQUEST.
  HandshakeClock* clock = ssl->state == MBEDTLS_SSL_HELLO_REQUEST ? StartClock(ssl) : FindClock(ssl);
  const std::uint64_t start = LwipNowNs();
  const int rc = __real_mbedtls_ssl_handshake(ssl);
  if (clock == nullptr) return rc;
  clock->ns += LwipNowNs() - start;
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return rc;
  if (rc == 0 && ssl->state == MBEDTLS_SSL_HANDSHAKE_OVER) {
    if (TlsServer::State* st = ServerOf(ssl)) st->handshakes.Add(clock->ns);
  }
  clock->ssl = nullptr;
  return rc;
}

extern "C" int __real_mbedtls_ssl_write(mbedtls_ssl_context* ssl, const unsigned char* data, std::size_t size);
extern "C" int __wrap_mbedtls_ssl_write(mbedtls_ssl_context* ssl, const unsigned char* data, std::size_t size) {
  const std::uint64_t start = LwipNowNs();
  const int rc = __real_mbedtls_ssl_write(ssl, data, size);
  if (rc > 0) {
    if (TlsServer::State* st = ServerOf(ssl)) {
      st->send_ns += LwipNowNs() - start;
      st->sent_bytes += static_cast<std::uint64_t>(rc);
    }
  }
  return rc;
}

const unsigned char* NulTerminatedPem(std::string_view pem, std::size_t* length_with_nul) {
  if (pem.size() >= sizeof(g_pem)) return nullptr;
  std::memcpy(g_pem, pem.data(), pem.size());
  g_pem[pem.size()] = '\0';
  *length_with_nul = pem.size() + 1;
  return reinterpret_cast<const unsigned char*>(g_pem);
}

void WipePemScratch() { std::memset(g_pem, 0, sizeof(g_pem)); }

const StatsReporter& TlsReport() { return g_report; }

Status InitTls(hal::Entropy& entropy, TlsDiagnostic diagnostic, void* diagnostic_context) {
  if (g_ready) return Status::Ok();
  if (!CryptoHeapReady()) return FailedPrecondition("InitCryptoHeap first");
  g_diag = diagnostic;
  g_diag_context = diagnostic_context;
  mbedtls_entropy_init(&g_entropy);
  int rc = mbedtls_entropy_add_source(&g_entropy, &HalEntropySource, &entropy, 32, MBEDTLS_ENTROPY_SOURCE_STRONG);
  if (rc != 0) return Fail(rc, "TLS entropy source");
  mbedtls_ctr_drbg_init(&g_drbg);
  static const unsigned char kPersonalisation[] = "pmu-device-tls";
  rc = mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy, kPersonalisation,
                             sizeof(kPersonalisation) - 1);
  if (rc != 0) return Fail(rc, "TLS random generator");
  g_ready = true;
  return Status::Ok();
}

int TlsRandom(void*, unsigned char* out, std::size_t size) { return mbedtls_ctr_drbg_random(&g_drbg, out, size); }

void TlsSessionGate::SetLimit(std::size_t limit) { g_session_limit = limit < kCapacity ? limit : kCapacity; }

TlsSlotId TlsSessionGate::TryEnter(TlsSlots slots) {
  std::size_t active = 0, shared = 0;
  TlsSlotId free = kNoTlsSlot;
  for (std::size_t i = 0; i < kCapacity; ++i) {
    if (g_slots[i].in_use) {
      ++active;
      if (g_slots[i].shared) ++shared;
    } else if (free == kNoTlsSlot) {
      free = static_cast<TlsSlotId>(i);
    }
  }
  if (active >= g_session_limit || free == kNoTlsSlot) return kNoTlsSlot;
  if (slots == TlsSlots::kShared && shared + 1 >= g_session_limit) return kNoTlsSlot;
  g_slots[free] = SessionSlot{true, slots == TlsSlots::kShared, false, nullptr, {}};
  return free;
}

void TlsSessionGate::Leave(TlsSlotId slot) {
  if (slot < kCapacity) g_slots[slot] = SessionSlot{};
}

std::size_t TlsSessionGate::active() {
  std::size_t n = 0;
  for (const SessionSlot& s : g_slots) n += s.in_use ? 1 : 0;
  return n;
}

std::size_t TlsSessionGate::limit() { return g_session_limit; }

const char* ClientAuthName(ClientAuth mode) {
  switch (mode) {
    case ClientAuth::kNone: return "none";
    case ClientAuth::kOptional: return "optional";
    case ClientAuth::kRequired: return "required";
  }
  return "?";
}

Status TlsServer::Init(std::string_view ca_pem, std::string_view cert_pem, std::string_view key_pem,
                       ClientAuth auth, std::string_view allowed_clients, const char* tag) {
  if (!g_ready) return FailedPrecondition("InitTls first");
  if (state_ != nullptr) return FailedPrecondition("TLS server already initialised (configs are created once)");
  if (g_servers_used == kMaxTlsServers) return ResourceExhausted("no TLS server left (kMaxTlsServers)");
  State& st = g_servers[g_servers_used];
  st.tag = tag;
  st.auth = auth;
  st.allowed = allowed_clients;
  mbedtls_ssl_config_init(&st.conf);
  const Status s = Configure(st, ca_pem, cert_pem, key_pem, auth);
  if (!s.ok()) {
    // Nothing stays behind: the slot can be used again.
    mbedtls_ssl_config_free(&st.conf);
    st = State{};
    return s;
  }
  ++g_servers_used;
  state_ = &st;
  auth_ = auth;
  return Status::Ok();
}

namespace {
Status Configure(TlsServer::State& st, std::string_view ca_pem, std::string_view cert_pem,
                 std::string_view key_pem, ClientAuth auth) {

  int rc = mbedtls_ssl_config_defaults(&st.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                       MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) return Fail(rc, "TLS configuration defaults");
  mbedtls_ssl_conf_min_version(&st.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(&st.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_ciphersuites(&st.conf, kCipherSuites);
  mbedtls_ssl_conf_curves(&st.conf, kCurves);
  mbedtls_ssl_conf_rng(&st.conf, mbedtls_ctr_drbg_random, &g_drbg);

  if (auth != ClientAuth::kNone && ca_pem.empty()) {
    return Fail(MBEDTLS_ERR_X509_INVALID_FORMAT, "trust anchor for client certificates");
  }
  Result<TlsIdentity*> identity = IdentityFor(ca_pem, cert_pem, key_pem);
  if (!identity.ok()) return identity.status();
  TlsIdentity& id = **identity;
  st.identity = &id;
  rc = mbedtls_ssl_conf_own_cert(&st.conf, &id.own_cert[id.current], &id.own_key[id.current]);
  if (rc != 0) return Fail(rc, "device certificate in the TLS configuration");

  switch (auth) {
    case ClientAuth::kNone:
      mbedtls_ssl_conf_authmode(&st.conf, MBEDTLS_SSL_VERIFY_NONE);
      break;
    case ClientAuth::kOptional:
    case ClientAuth::kRequired:
      mbedtls_ssl_conf_ca_chain(&st.conf, &id.ca, nullptr);
      mbedtls_ssl_conf_authmode(&st.conf, auth == ClientAuth::kRequired ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                                         : MBEDTLS_SSL_VERIFY_OPTIONAL);
      mbedtls_ssl_conf_verify(&st.conf, &Verify, &st);
      break;
  }
  st.allocator.alloc = altcp_tls_alloc;
  st.allocator.arg = reinterpret_cast<altcp_tls_config*>(&st.conf);
  return Status::Ok();
}
}  // namespace

Status TlsServer::ReplaceIdentity(std::string_view cert_pem, std::string_view key_pem) {
  if (state_ == nullptr || state_->conf.key_cert == nullptr) return FailedPrecondition("TLS server not initialised");
  State& st = *state_;
  TlsIdentity& id = *st.identity;
  // A server sharing the identity may have parsed these texts already.
  if (id.own_texts[id.current] != DigestOf({cert_pem, key_pem})) {
    const std::size_t next = 1 - id.current;
    PMU_TRY(ParsePair(id, next, cert_pem, key_pem, "new device certificate", "new device private key",
                      "new certificate does not match the device key"));
    id.current = next;
  }
  // mbedTLS has no call to replace an own certificate; the configuration's entry is
  // re-pointed. The previous pair stays valid until the next replacement, for any
  // handshake that already chose it.
  st.conf.key_cert->cert = &id.own_cert[id.current];
  st.conf.key_cert->key = &id.own_key[id.current];
  return Status::Ok();
}

FixedString<64> TlsServer::CommonName() const {
  return state_ != nullptr ? port::CommonName(state_->certificate()) : FixedString<64>();
}

altcp_allocator_t* TlsAllocator(const TlsServer& server) { return &server.state()->allocator; }

bool TlsServer::State::Allowed(std::string_view common_name) const {
  std::string_view list = allowed;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty() && item == common_name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

namespace {
int Verify(void* context, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
  auto* self = static_cast<const TlsServer::State*>(context);
  if (depth != 0 || self == nullptr) return 0;
  const FixedString<64> cn = CommonName(*crt);
  if (!self->Allowed(cn.view())) *flags |= MBEDTLS_X509_BADCERT_OTHER;
  if (*flags != 0) {
    // Empty when the allow list is the only reason: verify_info writes nothing then.
    char info[256] = "";
    mbedtls_x509_crt_verify_info(info, sizeof(info), "", *flags & ~MBEDTLS_X509_BADCERT_OTHER);
    // First line only: the most important reason.
    if (char* nl = std::strchr(info, '\n')) *nl = '\0';
    FixedString<200> line;
    line.Format("%s: client certificate '%s' refused: %s", self->tag, cn.c_str(),
                (*flags & MBEDTLS_X509_BADCERT_OTHER) && !self->Allowed(cn.view()) && info[0] == '\0'
                    ? "not on the allow list"
                    : info);
    if ((*flags & MBEDTLS_X509_BADCERT_OTHER) && info[0] != '\0' && !self->Allowed(cn.view())) {
      line.Append(" (and not on the allow list)");
    }
    Diagnose(line.c_str());
  }
  return 0;
}

// A connection's own verification callback: the server's checks, and the client's name
// kept in the connection's slot.
int VerifySession(void* context, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
  auto* slot = static_cast<SessionSlot*>(context);
  if (depth == 0) {
    slot->has_certificate = true;
    slot->client = CommonName(*crt);
  }
  return Verify(const_cast<TlsServer::State*>(slot->server), crt, depth, flags);
}

}  // namespace

void TlsBindSession(TlsSlotId slot, const TlsServer& server, altcp_pcb* conn) {
  auto* ssl = static_cast<mbedtls_ssl_context*>(altcp_tls_context(conn));
  if (slot >= TlsSessionGate::kCapacity || ssl == nullptr) return;
  SessionSlot& s = g_slots[slot];
  s.server = server.state();
  s.has_certificate = false;
  s.client.clear();
  mbedtls_ssl_set_verify(ssl, &VerifySession, &s);
}

Result<TlsPeer> TlsCheckPeer(const TlsServer& server, altcp_pcb* conn, TlsSlotId slot, FixedString<120>* why_refused) {
  const TlsServer::State& st = *server.state();
  auto* ssl = static_cast<mbedtls_ssl_context*>(altcp_tls_context(conn));
  if (ssl == nullptr) return FailedPrecondition("not a TLS connection");
  TlsPeer peer;
  peer.version = mbedtls_ssl_get_version(ssl);
  peer.ciphersuite = mbedtls_ssl_get_ciphersuite(ssl);
  if (st.auth == ClientAuth::kNone) return peer;
  const SessionSlot* session = slot < TlsSessionGate::kCapacity ? &g_slots[slot] : nullptr;
  if (session == nullptr || session->server != &st || !session->has_certificate) {
    if (st.auth == ClientAuth::kRequired) {
      why_refused->Append("no client certificate");
      return Status(StatusCode::kPermissionDenied, "no client certificate");
    }
    return peer;  // optional: an anonymous client
  }
  peer.has_certificate = true;
  peer.common_name = session->client;
  const std::uint32_t flags = mbedtls_ssl_get_verify_result(ssl);
  if (flags != 0) {
    if ((flags & MBEDTLS_X509_BADCERT_OTHER) && !st.Allowed(peer.common_name.view())) {
      why_refused->Format("'%s' is not on the allow list", peer.common_name.c_str());
    } else {
      char info[200] = "";
      mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
      if (char* nl = std::strchr(info, '\n')) *nl = '\0';
      why_refused->Format("certificate of '%s': %s", peer.common_name.c_str(), info);
    }
    return Status(StatusCode::kPermissionDenied, "client certificate refused");
  }
  return peer;
}

std::size_t TlsMaxRecordLength() { return MBEDTLS_SSL_IN_CONTENT_LEN + 8 + 16; }

// altcp_tls fails a write that does not fit one record, and a service writes at most
// one segment's payload at once.
static_assert(MBEDTLS_SSL_OUT_CONTENT_LEN >= kSegmentSize, "a service's write must fit one TLS record");

bool TlsHandshakeDone(altcp_pcb* conn) {
  if (conn == nullptr || conn->inner_conn == nullptr) return true;  // plain TCP
  auto* ssl = static_cast<mbedtls_ssl_context*>(altcp_tls_context(conn));
  return ssl != nullptr && ssl->state == MBEDTLS_SSL_HANDSHAKE_OVER;
}

void TlsSendRecordOverflow(altcp_pcb* conn) {
  if (conn == nullptr || conn->inner_conn == nullptr) return;
  auto* ssl = static_cast<mbedtls_ssl_context*>(altcp_tls_context(conn));
  if (ssl == nullptr) return;
  mbedtls_ssl_send_alert_message(ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL, MBEDTLS_SSL_ALERT_MSG_RECORD_OVERFLOW);
  altcp_output(conn->inner_conn);
}

Status TlsCloseNotify(altcp_pcb* conn) {
  if (conn == nullptr || conn->inner_conn == nullptr) return Status::Ok();  // plain TCP
  auto* ssl = static_cast<mbedtls_ssl_context*>(altcp_tls_context(conn));
  if (ssl == nullptr || ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER) return Status::Ok();
  const int rc = mbedtls_ssl_close_notify(ssl);
  altcp_output(conn->inner_conn);
  if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) return ResourceExhausted("send buffer full");
  return Status::Ok();
}

void TlsLetAlertOut(altcp_pcb* conn) {
  // Only a TLS connection over a live TCP connection: altcp_tls clears inner_conn
  // before reporting errors of a TCP connection that lwIP already freed.
  if (conn == nullptr || conn->inner_conn == nullptr) return;
  altcp_pcb* tcp = conn->inner_conn;
  if (tcp->inner_conn != nullptr || tcp->state == nullptr) return;
  auto* t = static_cast<tcp_pcb*>(tcp->state);
  if (t->state != ESTABLISHED && t->state != CLOSE_WAIT) return;
  // mbedTLS 2.28 alerts the client for every refused certificate except a missing one
  // (its no-certificate path returns without an alert); RFC 5246 7.4.6 names
  // handshake_failure for that case.
  auto* ssl = static_cast<mbedtls_ssl_context*>(altcp_tls_context(conn));
  if (ssl != nullptr && ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER && ssl->session_negotiate != nullptr &&
      ssl->session_negotiate->verify_result == MBEDTLS_X509_BADCERT_MISSING) {
    mbedtls_ssl_send_alert_message(ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL, MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
    altcp_output(tcp);
  }
  if (t->rcv_wnd < TCP_WND) tcp_recved(t, static_cast<u16_t>(TCP_WND - t->rcv_wnd));
}

FixedString<64> CommonName(const mbedtls_x509_crt& crt) {
  FixedString<64> cn;
  for (const mbedtls_x509_name* n = &crt.subject; n != nullptr; n = n->next) {
    if (n->oid.p != nullptr && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
      cn.Append(std::string_view(reinterpret_cast<const char*>(n->val.p), n->val.len));
      break;
    }
  }
  return cn;
}

FixedString<24> FormatX509Time(const mbedtls_x509_time& t) {
  FixedString<24> s;
  s.Format("%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.mon, t.day, t.hour, t.min, t.sec);
  return s;
}

FixedString<120> TlsErrorText(int code) {
  if (code == kPemTooLong) {
    FixedString<120> text;
    text.Format("PEM text longer than %u bytes", static_cast<unsigned>(kMaxPemBytes));
    return text;
  }
#if defined(MBEDTLS_ERROR_C)
  char buf[121];
  mbedtls_strerror(code, buf, sizeof(buf));
  return FixedString<120>(std::string_view(buf));
#else
  // Without mbedTLS's message table (the board): the failures a peer or an operator
  // causes by name, with the code; anything else as its code.
  struct Known {
    int code;
    const char* text;
  };
  static constexpr Known kKnown[] = {
      {MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, "SSL - A fatal alert message was received from our peer"},
      {MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED, "SSL - Verification of our peer failed"},
      {MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE, "SSL - No client certification received from the client"},
      {MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO, "SSL - Processing of the ClientHello handshake message failed"},
      {MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN, "SSL - No cipher suite in common"},
      {MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION, "SSL - Handshake protocol not within min/max boundaries"},
      {MBEDTLS_ERR_SSL_INVALID_RECORD, "SSL - An invalid SSL record was received"},
      {MBEDTLS_ERR_SSL_INVALID_MAC, "SSL - Verification of the message MAC failed"},
      {MBEDTLS_ERR_SSL_ALLOC_FAILED, "SSL - Memory allocation failed"},
      {MBEDTLS_ERR_SSL_CONN_EOF, "SSL - The connection indicated an EOF"},
      {MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, "X509 - Certificate verification failed"},
      {MBEDTLS_ERR_X509_INVALID_FORMAT, "X509 - The CRT/CRL/CSR format is invalid"},
      {MBEDTLS_ERR_PK_KEY_INVALID_FORMAT, "PK - Invalid key tag or value"},
      {MBEDTLS_ERR_PK_TYPE_MISMATCH, "PK - Type mismatch"},
      {MBEDTLS_ERR_X509_ALLOC_FAILED, "X509 - Allocation of memory failed"},
      {MBEDTLS_ERR_PK_ALLOC_FAILED, "PK - Memory allocation failed"},
      {MBEDTLS_ERR_ECP_ALLOC_FAILED, "ECP - Memory allocation failed"},
      {MBEDTLS_ERR_MPI_ALLOC_FAILED, "BIGNUM - Memory allocation failed"},
  };
  FixedString<120> text;
  const int high = code < 0 ? -((-code) & 0xFF80) : code;  // SSL, X509, PK, ECP: the high part
  const int low = code < 0 ? -((-code) & 0x7F) : code;     // BIGNUM: the low part
  for (const Known& k : kKnown) {
    if (k.code == high || k.code == code || k.code == low) {
      text.Format("%s (-0x%04X)", k.text, static_cast<unsigned>(-code));
      return text;
    }
  }
  text.Format("mbedTLS error -0x%04X", static_cast<unsigned>(code < 0 ? -code : code));
  return text;
#endif
}

}  // namespace pmu::port
