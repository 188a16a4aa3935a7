#include "pmu/port/tls.h"

#include <cstring>

#include "mbedtls/ecp.h"
#include "mbedtls/oid.h"
#include "mbedtls/pk.h"
#include "mbedtls/x509_csr.h"
#include "pmu/base/ip_address.h"
#include "tls_internal.h"

namespace pmu::port {
Status MakeKeyAndCsr(std::string_view common_name, std::span<char> key_pem, std::size_t* key_len,
                     std::span<char> csr_pem, std::size_t* csr_len) {
  mbedtls_pk_context key;
  mbedtls_pk_init(&key);
  mbedtls_x509write_csr csr;
  mbedtls_x509write_csr_init(&csr);
  Status result = Status::Ok();
  FixedString<96> subject;
  subject.Format("CN=%.*s,O=PMU lab", static_cast<int>(common_name.size()), common_name.data());
  int rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc == 0) rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), TlsRandom, nullptr);
  if (rc == 0) rc = mbedtls_pk_write_key_pem(&key, reinterpret_cast<unsigned char*>(key_pem.data()), key_pem.size());
  if (rc == 0) {
    mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&csr, &key);
    rc = mbedtls_x509write_csr_set_subject_name(&csr, subject.c_str());
  }
  if (rc == 0) rc = mbedtls_x509write_csr_set_key_usage(&csr, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
  if (rc == 0) {
    rc = mbedtls_x509write_csr_pem(&csr, reinterpret_cast<unsigned char*>(csr_pem.data()), csr_pem.size(), TlsRandom,
                                   nullptr);
  }
  if (rc != 0) {
    result = Internal("key or CSR generation failed");
  } else {
    *key_len = std::strlen(key_pem.data());
    *csr_len = std::strlen(csr_pem.data());
  }
  mbedtls_x509write_csr_free(&csr);
  mbedtls_pk_free(&key);
  return result;
}

Status TlsServer::CheckCertificateForKey(std::string_view cert_pem, std::string_view key_pem,
                                         FixedString<160>* why) const {
  if (state_ == nullptr) return FailedPrecondition("TLS server not initialised");
  const mbedtls_x509_crt& trust_anchor = state_->trust_anchor();
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  mbedtls_pk_context key;
  mbedtls_pk_init(&key);
  Status result = Status::Ok();
  std::size_t n = 0;
  const unsigned char* text = NulTerminatedPem(cert_pem, &n);
  int rc = text ? mbedtls_x509_crt_parse(&crt, text, n) : kPemTooLong;
  if (rc != 0) {
    why->Format("not a PEM certificate: %s", TlsErrorText(rc).c_str());
    result = InvalidArgument("bad certificate");
  }
  std::uint32_t flags = 0;
  if (result.ok()) {
    rc = mbedtls_x509_crt_verify(&crt, const_cast<mbedtls_x509_crt*>(&trust_anchor), nullptr, nullptr, &flags,
                                 nullptr, nullptr);
    if (rc != 0) {
      char info[160];
      mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
      if (char* nl = std::strchr(info, '\n')) *nl = '\0';
      why->Format("does not verify against the device's CA: %s", info);
      result = Status(StatusCode::kPermissionDenied, "certificate does not verify");
    }
  }
  if (result.ok() &&
      mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_SERVER_AUTH,
                                                MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) != 0) {
    why->Append("not a TLS server certificate (extended key usage)");
    result = InvalidArgument("not a server certificate");
  }
  if (result.ok()) {
    text = NulTerminatedPem(key_pem, &n);
    rc = text ? mbedtls_pk_parse_key(&key, text, n, nullptr, 0) : kPemTooLong;
    WipePemScratch();
    if (rc != 0 || mbedtls_pk_check_pair(&crt.pk, &key) != 0) {
      why->Append("the certificate is not for the key made by 'cert csr'");
      result = InvalidArgument("certificate does not match the pending key");
    }
  }
  mbedtls_pk_free(&key);
  mbedtls_x509_crt_free(&crt);
  return result;
}

bool TlsServer::CertificateLine(Which which, std::size_t index, CertificateText* line) const {
  if (state_ == nullptr) return false;
  const mbedtls_x509_crt& crt = which == Which::kOwn ? state_->certificate() : state_->trust_anchor();
  char buf[200];
  switch (index) {
    case 0:
      mbedtls_x509_dn_gets(buf, sizeof(buf), &crt.subject);
      line->Format("subject: %s", buf);
      return true;
    case 1:
      mbedtls_x509_dn_gets(buf, sizeof(buf), &crt.issuer);
      line->Format("issuer: %s", buf);
      return true;
    case 2:
      mbedtls_x509_serial_gets(buf, sizeof(buf), &crt.serial);
      line->Format("serial: %s", buf);
      return true;
    case 3:
      line->Format("valid: %s to %s", FormatX509Time(crt.valid_from).c_str(), FormatX509Time(crt.valid_to).c_str());
      return true;
    case 4: {
      line->Append("names:");
      for (const mbedtls_x509_sequence* san = &crt.subject_alt_names; san != nullptr && san->buf.p != nullptr;
           san = san->next) {
        const unsigned char tag = static_cast<unsigned char>(san->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK);
        if (tag == 2) {  // dNSName
          line->Format(" DNS:%.*s", static_cast<int>(san->buf.len), san->buf.p);
        } else if (tag == 7 && san->buf.len == 4) {  // iPAddress, IPv4
          line->Format(" IP:%u.%u.%u.%u", san->buf.p[0], san->buf.p[1], san->buf.p[2], san->buf.p[3]);
        } else if (tag == 7 && san->buf.len == 16) {
          Ipv6Address a;
          std::memcpy(a.octets.data(), san->buf.p, 16);
          line->Format(" IP:%s", FormatIpv6(a).c_str());
        }
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace pmu::port
