// Fuzzes the Fernet token parser and decryption: any text is a token or an error
// value, never a crash; a token that opens under the fixed key yields a plaintext
// that encrypts back (with the token's own time and IV) to the same token.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "pmu/proto/fernet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::proto;
  static const FernetKey key = *ParseFernetKey("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::byte work[kMaxFernetTokenText], plain[kMaxFernetTokenText];
  const auto token = ParseFernetToken(text, work);
  if (token.ok()) {
    if (token->ciphertext.size() % 16 != 0 || token->hmac.size() != 32) std::abort();
  }
  const auto n = FernetDecrypt(key, text, 0, 0, work, plain);
  if (!n.ok()) return 0;
  if (!token.ok()) std::abort();  // decrypted what does not parse
  std::uint8_t iv[16];
  std::memcpy(iv, token->iv.data(), 16);
  char again[kMaxFernetTokenText];
  const auto m = FernetEncrypt(key, pmu::ByteSpan(plain, *n), token->timestamp, iv, again);
  if (!m.ok() || std::string_view(again, *m) != text) std::abort();
  return 0;
}
