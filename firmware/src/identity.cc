#include "pmu/firmware/identity.h"

#include <cstring>
#include <span>

#include "pmu/firmware/storage_records.h"
#include "pmu/firmware/text_scratch.h"

namespace pmu::firmware {
namespace {

// The PEM texts read from storage, in the text scratch while they are parsed, each as
// long as the TLS servers parse (the key's slot is smaller: storage_records.h).
struct PemBuffers {
  static constexpr std::size_t kKeyBytes = 1024;
  explicit PemBuffers(std::span<char> scratch)
      : ca(scratch.first(port::kMaxPemBytes)),
        cert(scratch.subspan(port::kMaxPemBytes, port::kMaxPemBytes)),
        key(scratch.subspan(2 * port::kMaxPemBytes, kKeyBytes)) {}
  std::span<char> ca, cert, key;
};
static_assert(TextScratch::kSize >= 2 * port::kMaxPemBytes + PemBuffers::kKeyBytes);

Result<std::string_view> ReadPem(hal::Storage& storage, StorageRecord record, std::span<char> buffer) {
  const Result<std::size_t> n = ReadRecord(storage, record, AsWritableBytes(buffer.data(), buffer.size()));
  if (!n.ok()) return n.status();
  return std::string_view(buffer.data(), *n);
}

// The next PEM block of `text` (from its BEGIN line through its END line), removed
// from `text`; empty when there is none.
std::string_view NextPemBlock(std::string_view& text) {
  const std::size_t begin = text.find("-----BEGIN ");
  if (begin == std::string_view::npos) return {};
  const std::size_t end_line = text.find("-----END ", begin);
  if (end_line == std::string_view::npos) return {};
  const std::size_t end = text.find("-----", end_line + 9);
  if (end == std::string_view::npos) return {};
  const std::string_view block = text.substr(begin, end + 5 - begin);
  text.remove_prefix(end + 5);
  return block;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

ProvisionOutcome ProvisionIdentity(hal::Storage& storage, std::string_view text) {
  using Kind = ProvisionOutcome::Kind;
  if (text.find("-----BEGIN ") == std::string_view::npos) return {Kind::kNothing, ""};
  char probe[8];
  if (ReadRecord(storage, StorageRecord::kDeviceCert, AsWritableBytes(probe, sizeof(probe))).status().code() !=
      StatusCode::kNotFound) {
    return {Kind::kKept, "storage already holds a device certificate; the factory identity is not applied"};
  }
  constexpr ProvisionOutcome kMalformed = {
      Kind::kInvalid, "the factory identity must be the CA certificate, the device certificate and its key (PEM)"};
  std::string_view blocks[3];
  for (std::string_view& block : blocks) {
    block = NextPemBlock(text);
    if (block.empty()) return kMalformed;
  }
  constexpr std::string_view kCertificate = "-----BEGIN CERTIFICATE-----";
  if (!StartsWith(blocks[0], kCertificate) || !StartsWith(blocks[1], kCertificate) ||
      blocks[2].find("PRIVATE KEY-----") == std::string_view::npos) {
    return kMalformed;
  }
  constexpr StorageRecord kRecords[] = {StorageRecord::kTrustAnchor, StorageRecord::kDeviceCert,
                                        StorageRecord::kDeviceKey};
  // The three together or none: a cut power leaves no half identity.
  StorageTransaction t(storage);
  for (std::size_t i = 0; i < 3; ++i) {
    if (!t.Write(kRecords[i], AsBytes(blocks[i])).ok()) {
      return {Kind::kInvalid, "a PEM block of the factory identity is too large for its storage slot"};
    }
  }
  if (!t.Commit().ok()) return {Kind::kInvalid, "storage refused the factory identity"};
  return {Kind::kProvisioned, "TLS identity provisioned into storage"};
}

Status DeviceIdentity::Load(const DeviceConfig& config) {
  TextScratch scratch;  // zeroed when it goes: it held the key
  const PemBuffers pem(scratch.bytes());
  const auto ca = ReadPem(storage_, StorageRecord::kTrustAnchor, pem.ca);
  const auto cert = ReadPem(storage_, StorageRecord::kDeviceCert, pem.cert);
  const auto key = ReadPem(storage_, StorageRecord::kDeviceKey, pem.key);
  if (!ca.ok()) return NotFound("no trust anchor in storage");
  if (!cert.ok()) return NotFound("no device certificate in storage");
  if (!key.ok()) return NotFound("no device key in storage");
  const auto auth = static_cast<port::ClientAuth>(config.tls_client_auth);
  Status s = command_tls_.Init(*ca, *cert, *key, auth, config.tls_allowed_clients.view(), "tls-cmd");
  if (s.ok()) {
    s = console_tls_.Init(*ca, *cert, *key, port::ClientAuth::kRequired, config.tls_allowed_clients.view(),
                          "console");
  }
  ready_ = s.ok();
  return s;
}

Status DeviceIdentity::MakeCsr(std::string_view common_name, CsrText& csr_pem) {
  if (!ready_) return FailedPrecondition("no TLS identity");
  char csr[1024];
  std::size_t key_len = 0, csr_len = 0;
  TextScratch scratch;  // zeroed when it goes: it held the key
  const PemBuffers pem(scratch.bytes());
  PMU_TRY(port::MakeKeyAndCsr(common_name, pem.key, &key_len, csr, &csr_len));
  PMU_TRY(WriteRecord(storage_, StorageRecord::kPendingKey, AsBytes(pem.key.data(), key_len)));
  csr_pem.clear();
  csr_pem.Append(std::string_view(csr, csr_len));
  return Status::Ok();
}

Status DeviceIdentity::InstallCertificate(std::string_view cert_pem, FixedString<160>* why) {
  if (!ready_) return FailedPrecondition("no TLS identity");
  TextScratch scratch;  // zeroed when it goes: it held the key
  const PemBuffers pem(scratch.bytes());
  const auto key = ReadPem(storage_, StorageRecord::kPendingKey, pem.key);
  if (!key.ok()) {
    why->Append("no pending key: run 'cert csr' first");
    return FailedPrecondition("no pending key");
  }
  Status s = console_tls_.CheckCertificateForKey(cert_pem, *key, why);
  // The certificate, its key and the pending key's end change together: a cut power
  // leaves the old identity or the new, never a certificate with the wrong key.
  StorageTransaction t(storage_);
  if (s.ok()) s = t.Write(StorageRecord::kDeviceCert, AsBytes(cert_pem));
  if (s.ok()) s = t.Write(StorageRecord::kDeviceKey, AsBytes(*key));
  if (s.ok()) s = t.Erase(StorageRecord::kPendingKey);
  if (s.ok()) s = t.Commit();
  if (s.ok()) s = command_tls_.ReplaceIdentity(cert_pem, *key);
  if (s.ok()) s = console_tls_.ReplaceIdentity(cert_pem, *key);
  if (!s.ok() && why->empty()) why->Append(s.message());
  return s;
}

}  // namespace pmu::firmware
