#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "pmu/port/drbg_entropy.h"
#include "pmu/port/lwip_status.h"
#include "pmu/port/tls.h"
#include "siphash.h"

namespace pmu::port {
namespace {

TEST(SipHash, ReferenceVector) {
  // The reference vector of the SipHash paper (appendix A): key 00..0f, message 00..0e.
  std::uint8_t key[16], msg[15];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<std::uint8_t>(i);
  for (int i = 0; i < 15; ++i) msg[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(SipHash24(key, msg, sizeof(msg)), 0xa129ca6149be45e5ull);
}

TEST(LwipStatus, TranslatesOnce) {
  EXPECT_TRUE(FromLwipErr(ERR_OK).ok());
  EXPECT_EQ(FromLwipErr(ERR_MEM).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(FromLwipErr(ERR_RST).code(), StatusCode::kUnavailable);
  EXPECT_EQ(FromLwipErr(ERR_USE).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(FromLwipErr(static_cast<err_t>(-99)).code(), StatusCode::kInternal);
}

TEST(TlsSessionGate, KeepsTheLastSlotForTheConsoleAndGivesSlotsBack) {
  TlsSessionGate::SetLimit(3);
  const TlsSlotId a = TlsSessionGate::TryEnter(TlsSlots::kShared);
  const TlsSlotId b = TlsSessionGate::TryEnter(TlsSlots::kShared);
  ASSERT_NE(a, kNoTlsSlot);
  ASSERT_NE(b, kNoTlsSlot);
  EXPECT_NE(a, b);
  EXPECT_EQ(TlsSessionGate::TryEnter(TlsSlots::kShared), kNoTlsSlot);  // the console's
  const TlsSlotId c = TlsSessionGate::TryEnter(TlsSlots::kReserved);
  ASSERT_NE(c, kNoTlsSlot);
  EXPECT_EQ(TlsSessionGate::active(), 3u);
  EXPECT_EQ(TlsSessionGate::TryEnter(TlsSlots::kReserved), kNoTlsSlot);  // the limit
  TlsSessionGate::Leave(a);
  EXPECT_EQ(TlsSessionGate::active(), 2u);
  const TlsSlotId d = TlsSessionGate::TryEnter(TlsSlots::kShared);
  EXPECT_EQ(d, a);  // the freed slot, taken again
  TlsSessionGate::Leave(b);
  TlsSessionGate::Leave(c);
  TlsSessionGate::Leave(d);
  TlsSessionGate::Leave(kNoTlsSlot);  // nothing to give back
  EXPECT_EQ(TlsSessionGate::active(), 0u);
}

TEST(TlsSessionGate, LimitIsWithinTheSlotsThereAre) {
  TlsSessionGate::SetLimit(100);
  EXPECT_EQ(TlsSessionGate::limit(), TlsSessionGate::kCapacity);
  std::vector<TlsSlotId> held;
  for (TlsSlotId s; (s = TlsSessionGate::TryEnter(TlsSlots::kReserved)) != kNoTlsSlot;) held.push_back(s);
  EXPECT_EQ(held.size(), TlsSessionGate::kCapacity);
  for (TlsSlotId s : held) TlsSessionGate::Leave(s);
  TlsSessionGate::SetLimit(3);
}

// A noise source that counts its calls and plays back a fixed pattern.
class FakeNoise final : public hal::Entropy {
 public:
  explicit FakeNoise(std::uint8_t base) : base_(base) {}
  Status Fill(MutableByteSpan out) override {
    ++calls;
    if (fail) return Unavailable("noise failed");
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>(base_ + i);
    return Status::Ok();
  }
  int calls = 0;
  bool fail = false;

 private:
  std::uint8_t base_;
};

std::vector<std::byte> Draw(DrbgEntropy& d, std::size_t n) {
  std::vector<std::byte> out(n);
  EXPECT_TRUE(d.Fill(MutableByteSpan(out.data(), out.size())).ok());
  return out;
}

TEST(DrbgEntropy, SameSeedSameStreamOtherSeedOtherStream) {
  FakeNoise n1(1), n2(1), n3(1);
  DrbgEntropy a, b, c;
  ASSERT_TRUE(a.Start(n1, AsBytes("seed one")).ok());
  ASSERT_TRUE(b.Start(n2, AsBytes("seed one")).ok());
  ASSERT_TRUE(c.Start(n3, AsBytes("seed two")).ok());
  const auto x = Draw(a, 64), y = Draw(b, 64), z = Draw(c, 64);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_NE(Draw(a, 64), x);  // the stream moves on
}

TEST(DrbgEntropy, NoiseMatters) {
  FakeNoise n1(1), n2(2);
  DrbgEntropy a, b;
  ASSERT_TRUE(a.Start(n1, AsBytes("seed")).ok());
  ASSERT_TRUE(b.Start(n2, AsBytes("seed")).ok());
  EXPECT_NE(Draw(a, 32), Draw(b, 32));
}

TEST(DrbgEntropy, LargeRequestsAndReseeding) {
  FakeNoise noise(7);
  DrbgEntropy d;
  ASSERT_TRUE(d.Start(noise, AsBytes("seed")).ok());
  EXPECT_EQ(noise.calls, 1);
  // More than mbedTLS's 1024-byte request limit in one call; not all zeros.
  const auto big = Draw(d, 5000);
  std::size_t zeros = 0;
  for (std::byte b : big) zeros += b == std::byte{0};
  EXPECT_LT(zeros, 60u);  // about 5000/256 expected
  // The noise source is asked again after the reseed interval.
  for (int i = 0; i < DrbgEntropy::kReseedInterval + 1; ++i) Draw(d, 4);
  EXPECT_GE(noise.calls, 2);
}

TEST(DrbgEntropy, Errors) {
  DrbgEntropy d;
  std::array<std::byte, 4> out{};
  EXPECT_EQ(d.Fill(MutableByteSpan(out.data(), out.size())).code(), StatusCode::kFailedPrecondition);
  FakeNoise failing(0);
  failing.fail = true;
  EXPECT_EQ(d.Start(failing, AsBytes("seed")).code(), StatusCode::kUnavailable);
  std::array<std::byte, 300> too_long{};
  FakeNoise noise(0);
  DrbgEntropy e;
  EXPECT_EQ(e.Start(noise, ByteSpan(too_long.data(), too_long.size())).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(e.Start(noise, AsBytes("seed")).ok());
  EXPECT_EQ(e.Start(noise, AsBytes("seed")).code(), StatusCode::kFailedPrecondition);
}

TEST(TlsServer, SaysAPemTextIsLongerThanItParses) {
  InitCryptoHeap(nullptr, nullptr);
  static FakeNoise noise(3);  // the TLS random generator keeps it
  std::string diagnostics;
  ASSERT_TRUE(InitTls(noise, [](void* to, const char* line) { *static_cast<std::string*>(to) += line; },
                      &diagnostics).ok());
  const std::string body(kMaxPemBytes, 'A');
  const std::string pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
  TlsServer server;
  EXPECT_EQ(server.Init("", pem, "", ClientAuth::kNone, "", "test").code(), StatusCode::kInvalidArgument);
  EXPECT_NE(diagnostics.find("device certificate: PEM text longer than 2048 bytes"), std::string::npos)
      << diagnostics;
}

// A self-signed P-256 certificate for `name` and its key, PEM, made with OpenSSL (an
// independent implementation) so that no key needs to live in the repository.
std::pair<std::string, std::string> SelfSigned(const char* name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* crt = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(crt), 1);
  X509_gmtime_adj(X509_getm_notBefore(crt), -3600);
  X509_gmtime_adj(X509_getm_notAfter(crt), 3600);
  X509_set_pubkey(crt, key);
  X509_NAME* subject = X509_get_subject_name(crt);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
  X509_set_issuer_name(crt, subject);
  X509_sign(crt, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return text;
  };
  std::pair<std::string, std::string> out{pem([&](BIO* b) { PEM_write_bio_X509(b, crt); }),
                                          pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); })};
  X509_free(crt);
  EVP_PKEY_free(key);
  return out;
}

TEST(TlsServer, ServersGivenTheSameIdentityParseItOnce) {
  InitCryptoHeap(nullptr, nullptr);
  static FakeNoise noise(5);
  ASSERT_TRUE(InitTls(noise, nullptr, nullptr).ok());
  const auto [cert, key] = SelfSigned("pmu-one");
  const std::size_t rest = GetCryptoArenaStats().used;
  TlsServer a, b;
  ASSERT_TRUE(a.Init(cert, cert, key, ClientAuth::kNone, "", "a").ok());
  const std::size_t first = GetCryptoArenaStats().used - rest;
  ASSERT_TRUE(b.Init(cert, cert, key, ClientAuth::kRequired, "operator1", "b").ok());
  const std::size_t second = GetCryptoArenaStats().used - rest - first;
  EXPECT_GT(first, 1000u);         // a trust anchor, a certificate and a key, parsed
  EXPECT_LT(second, first / 4);    // the second server's configuration only
  EXPECT_EQ(b.CommonName().view(), "pmu-one");

  // A new identity for both (the CSR flow): parsed by the first, shared by the second.
  const auto [new_cert, new_key] = SelfSigned("pmu-two");
  ASSERT_TRUE(a.ReplaceIdentity(new_cert, new_key).ok());
  const std::size_t replaced = GetCryptoArenaStats().used;
  ASSERT_TRUE(b.ReplaceIdentity(new_cert, new_key).ok());
  EXPECT_EQ(GetCryptoArenaStats().used, replaced);
  EXPECT_EQ(a.CommonName().view(), "pmu-two");
  EXPECT_EQ(b.CommonName().view(), "pmu-two");
  // A key that is not the certificate's is refused, and the identity stays.
  const auto [other_cert, other_key] = SelfSigned("pmu-three");
  EXPECT_FALSE(a.ReplaceIdentity(other_cert, new_key).ok());
  EXPECT_EQ(a.CommonName().view(), "pmu-two");
}

}  // namespace
}  // namespace pmu::port
