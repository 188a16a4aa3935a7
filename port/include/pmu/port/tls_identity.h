// The device's TLS identity operations for the CSR flow (console `cert csr` and
// `cert install`) and for `cert info`. Keys are made with the TLS random generator
// (seeded from the HAL's entropy: see docs for what that means on a board without a
// hardware random source).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "mbedtls/x509_crt.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"

namespace pmu::port {

// Makes a new P-256 key pair and a CSR for "CN=<common_name>, O=PMU lab", signed with
// it. Writes the private key (PEM) into `key_pem` and the CSR (PEM) into `csr_pem`;
// returns their lengths through the out-parameters.
Status MakeKeyAndCsr(std::string_view common_name, std::span<char> key_pem, std::size_t* key_len,
                     std::span<char> csr_pem, std::size_t* csr_len);

// Checks a certificate offered for installation: it parses, chains to `trust_anchor`
// at the device's current time, is meant for a TLS server, and carries the public key
// of `key_pem`. On failure, `why` says what is wrong.
Status CheckCertificateForKey(std::string_view cert_pem, std::string_view key_pem,
                              const mbedtls_x509_crt& trust_anchor, FixedString<160>* why);

// One line describing a certificate: subject, issuer, serial, validity (for the console).
// `index` 0..4; false past the end.
bool CertificateLine(const mbedtls_x509_crt& crt, std::size_t index, FixedString<240>* line);

}  // namespace pmu::port
