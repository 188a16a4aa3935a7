// Fuzzes the base64 codec: any text decodes to bytes or to an error value; text that
// decodes is canonical, so encoding the bytes again gives the same text; and any
// bytes encode to text that decodes back to them.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "pmu/base/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu;
  if (size == 0) return 0;
  const Base64Alphabet alphabet = (data[0] & 1) ? Base64Alphabet::kUrlSafe : Base64Alphabet::kStandard;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  // Text -> bytes -> the same text.
  std::vector<std::byte> bytes(Base64MaxDecodedSize(text.size()));
  const Result<std::size_t> n = Base64Decode(text, bytes, alphabet);
  if (n.ok()) {
    if (*n > bytes.size() || Base64EncodedSize(*n) != text.size()) std::abort();
    std::vector<char> again(text.size());
    if (Base64Encode(std::span(bytes).first(*n), again, alphabet) != text.size()) std::abort();
    if (!text.empty() && std::memcmp(again.data(), text.data(), text.size()) != 0) std::abort();
  } else if (n.status().code() != StatusCode::kInvalidArgument) {
    std::abort();  // the buffer was large enough: only the text can be wrong
  }

  // A buffer one byte short must be refused, never overrun (ASan watches).
  if (n.ok() && *n > 0) {
    std::vector<std::byte> short_out(*n - 1);
    if (Base64Decode(text, short_out, alphabet).ok()) std::abort();
  }

  // Bytes -> text -> the same bytes.
  const ByteSpan raw = AsBytes(data + 1, size - 1);
  std::vector<char> coded(Base64EncodedSize(raw.size()));
  const std::size_t m = Base64Encode(raw, coded, alphabet);
  if (m != coded.size()) std::abort();
  std::vector<std::byte> back(raw.size());
  const Result<std::size_t> k = Base64Decode(std::string_view(coded.data(), m), back, alphabet);
  if (!k.ok() || *k != raw.size()) std::abort();
  if (!raw.empty() && std::memcmp(back.data(), raw.data(), raw.size()) != 0) std::abort();
  return 0;
}
