// Base64 (RFC 4648) as a pure codec over caller-owned buffers: no heap, no state.
//
// Two alphabets: the standard one (section 4: '+', '/'; WebSocket keys) and the
// URL-safe one (section 5: '-', '_'; Fernet tokens). Both always write '=' padding.
//
// The decoder is strict, so that one byte string has exactly one accepted text (and
// decoding then encoding gives the input back): the length must be a multiple of 4,
// padding only at the end and only as much as needed, no white space or line breaks,
// no character from the other alphabet, and the unused low bits of the last
// character must be zero (RFC 4648 section 3.5 allows a decoder to refuse them).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu {

enum class Base64Alphabet : unsigned char { kStandard, kUrlSafe };

// Characters the encoding of `size` bytes takes (with padding).
constexpr std::size_t Base64EncodedSize(std::size_t size) { return (size + 2) / 3 * 4; }
// An upper bound of the bytes `text_size` characters decode to.
constexpr std::size_t Base64MaxDecodedSize(std::size_t text_size) { return text_size / 4 * 3; }

// Writes the encoding of `data` into `out` (no terminating NUL); returns its length,
// Base64EncodedSize(data.size()), or 0 when `out` is smaller than that.
std::size_t Base64Encode(ByteSpan data, std::span<char> out,
                         Base64Alphabet alphabet = Base64Alphabet::kStandard);

// Decodes `text` into `out`; returns how many bytes it wrote. Errors:
//   InvalidArgument    the text is not canonical base64 of the chosen alphabet (the
//                      message says which rule it breaks);
//   ResourceExhausted  `out` is too small for the decoded bytes (nothing is
//                      guaranteed about its contents then).
Result<std::size_t> Base64Decode(std::string_view text, MutableByteSpan out,
                                 Base64Alphabet alphabet = Base64Alphabet::kStandard);

}  // namespace pmu
