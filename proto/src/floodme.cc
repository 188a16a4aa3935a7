#include "pmu/proto/floodme.h"

#include <algorithm>
#include <cstring>

namespace pmu::proto {
namespace {

// The alphabet twice over, so that 44 characters from any start are one copy.
constexpr char kAlphabet2[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kAlphabetSize = 62;
static_assert(sizeof(kAlphabet2) - 1 == 2 * kAlphabetSize);

void MakeLine(std::uint64_t k, char (&line)[kFloodmeLineLength]) {
  std::memcpy(line, "floodme ", 8);
  std::uint64_t v = k;
  for (int i = 17; i >= 8; --i) {
    line[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  line[18] = ' ';
  const std::size_t start = static_cast<std::size_t>(k % kAlphabetSize);
  std::memcpy(line + 19, kAlphabet2 + start, 44);
  line[63] = '\n';
}

// Calls fn(line_offset_within_data, line_text_view) for each line piece covering
// [offset, offset + size).
template <typename Fn>
void ForEachPiece(std::uint64_t offset, std::size_t size, Fn&& fn) {
  char line[kFloodmeLineLength];
  std::size_t done = 0;
  while (done < size) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t k = pos / kFloodmeLineLength;
    const std::size_t col = static_cast<std::size_t>(pos % kFloodmeLineLength);
    MakeLine(k, line);
    const std::size_t n = std::min(size - done, kFloodmeLineLength - col);
    if (!fn(done, line + col, n)) return;
    done += n;
  }
}

}  // namespace

void FloodmeFill(std::uint64_t offset, MutableByteSpan out) {
  ForEachPiece(offset, out.size(), [&](std::size_t at, const char* text, std::size_t n) {
    std::memcpy(out.data() + at, text, n);
    return true;
  });
}

std::size_t FloodmeMismatch(std::uint64_t offset, ByteSpan data) {
  std::size_t result = data.size();
  ForEachPiece(offset, data.size(), [&](std::size_t at, const char* text, std::size_t n) {
    if (std::memcmp(data.data() + at, text, n) == 0) return true;
    for (std::size_t i = 0; i < n; ++i) {
      if (static_cast<char>(data[at + i]) != text[i]) {
        result = at + i;
        break;
      }
    }
    return false;
  });
  return result;
}

}  // namespace pmu::proto
