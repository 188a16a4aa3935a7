// The device's TLS identity: the CA it trusts, its certificate and its key, kept in
// storage; the two TLS servers (the TLS command service's and the console's) built
// from them; and the operator's CSR flow that replaces them while running.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <string_view>

#include "pmu/base/fixed_string.h"
#include "pmu/base/status.h"
#include "pmu/firmware/config.h"
#include "pmu/hal/storage.h"
#include "pmu/port/tls.h"

namespace pmu::firmware {

// The factory identity as one text: the CA certificate, the device certificate, then
// the device's private key, as PEM blocks (the board's certs area; pmu-sim --provision
// reads the three files into one).
struct ProvisionOutcome {
  enum class Kind : std::uint8_t {
    kNothing,        // no identity offered
    kProvisioned,    // written to storage
    kKept,           // storage already holds a device certificate (one installed through
                     // the console survives restarts)
    kInvalid,        // not three PEM blocks of the right kinds, or a block too large
  } kind = Kind::kNothing;
  const char* detail = "";
};
ProvisionOutcome ProvisionIdentity(hal::Storage& storage, std::string_view pem_blocks);

using CsrText = FixedString<1536>;

class DeviceIdentity {
 public:
  explicit DeviceIdentity(hal::Storage& storage) : storage_(storage) {}
  DeviceIdentity(const DeviceIdentity&) = delete;
  DeviceIdentity& operator=(const DeviceIdentity&) = delete;

  // Reads the identity from storage and builds both TLS servers (the console always
  // requires client certificates; the command service as configured). kNotFound,
  // naming what is missing, when storage holds no complete identity; another error
  // when it is unusable (InitTls must have run).
  Status Load(const DeviceConfig& config);
  bool ready() const { return ready_; }

  port::TlsServer& command_tls() { return command_tls_; }
  port::TlsServer& console_tls() { return console_tls_; }
  FixedString<64> CommonName() const { return console_tls_.CommonName(); }
  bool CertificateLine(port::TlsServer::Which which, std::size_t index, port::CertificateText* line) const {
    return console_tls_.CertificateLine(which, index, line);
  }

  // Makes a new key pair for `common_name` (kept as the pending key in storage) and
  // writes its CSR into `csr_pem`.
  Status MakeCsr(std::string_view common_name, CsrText& csr_pem);
  // Checks `cert_pem` against the CA and the pending key, stores both as the device's
  // identity and makes both TLS servers present it to new connections.
  Status InstallCertificate(std::string_view cert_pem, FixedString<160>* why);

 private:
  hal::Storage& storage_;
  port::TlsServer command_tls_;
  port::TlsServer console_tls_;
  bool ready_ = false;
};

}  // namespace pmu::firmware
