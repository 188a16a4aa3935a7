#include "pmu/base/base64.h"

#include <cstdint>

namespace pmu {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlSafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char* Table(Base64Alphabet alphabet) { return alphabet == Base64Alphabet::kUrlSafe ? kUrlSafe : kStandard; }

constexpr std::uint8_t kNotInAlphabet = 0xFF;

// Value of one character, or kNotInAlphabet. A switch on the two alphabet-specific
// characters keeps this free of a 256-byte table per alphabet.
std::uint8_t Sextet(char c, Base64Alphabet alphabet) {
  if (c >= 'A' && c <= 'Z') return static_cast<std::uint8_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<std::uint8_t>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0' + 52);
  const bool url = alphabet == Base64Alphabet::kUrlSafe;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return kNotInAlphabet;
}

}  // namespace

std::size_t Base64Encode(ByteSpan data, std::span<char> out, Base64Alphabet alphabet) {
  const std::size_t need = Base64EncodedSize(data.size());
  if (out.size() < need) return 0;
  const char* table = Table(alphabet);
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::to_integer<std::uint32_t>(data[i]) << 16) |
                            (std::to_integer<std::uint32_t>(data[i + 1]) << 8) |
                            std::to_integer<std::uint32_t>(data[i + 2]);
    out[o++] = table[(v >> 18) & 63];
    out[o++] = table[(v >> 12) & 63];
    out[o++] = table[(v >> 6) & 63];
    out[o++] = table[v & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::to_integer<std::uint32_t>(data[i]) << 16;
    if (rest == 2) v |= std::to_integer<std::uint32_t>(data[i + 1]) << 8;
    out[o++] = table[(v >> 18) & 63];
    out[o++] = table[(v >> 12) & 63];
    out[o++] = rest == 2 ? table[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return o;
}

Result<std::size_t> Base64Decode(std::string_view text, MutableByteSpan out, Base64Alphabet alphabet) {
  if (text.size() % 4 != 0) return InvalidArgument("base64: length is not a multiple of 4");
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t size = text.size() / 4 * 3 - pad;
  if (out.size() < size) return ResourceExhausted("base64: output buffer too small");

  std::size_t o = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t chars = last ? 4 - pad : 4;  // characters that carry bits
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (k >= chars) {
        // Only the padding of the last group may be '=' (checked above); anything
        // else here would be a character after padding, which cannot happen because
        // `pad` counts the trailing '=' characters.
        v <<= 6;
        continue;
      }
      const std::uint8_t s = Sextet(c, alphabet);
      if (s == kNotInAlphabet) {
        return InvalidArgument(c == '=' ? "base64: padding before the end"
                                        : "base64: character outside the alphabet");
      }
      v = (v << 6) | s;
    }
    // Canonical form: the bits that padding leaves over must be zero.
    if (pad == 1 && last && (v & 0xFF) != 0) return InvalidArgument("base64: non-zero bits after the last byte");
    if (pad == 2 && last && (v & 0xFFFF) != 0) return InvalidArgument("base64: non-zero bits after the last byte");
    out[o++] = static_cast<std::byte>(v >> 16);
    if (chars > 2) out[o++] = static_cast<std::byte>(v >> 8);
    if (chars > 3) out[o++] = static_cast<std::byte>(v);
  }
  return o;
}

}  // namespace pmu
