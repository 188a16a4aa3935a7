// Fuzzes the TLS record scanner: fed any split of any stream, it agrees with a
// straightforward reference walk over the whole stream (records counted, the first
// oversized length), and never reads past its input.
#include <cstdint>
#include <cstdlib>

#include "pmu/proto/tls_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::proto;
  if (size < 3) return 0;
  // The first two bytes choose the limit, the third the piece size.
  const std::size_t limit = (std::size_t{data[0]} << 8) | data[1];
  const std::size_t piece = data[2] % 17 + 1;
  data += 3;
  size -= 3;

  // Reference: walk the records of the whole stream.
  std::uint64_t records = 0;
  bool oversized = false;
  std::size_t bad = 0;
  for (std::size_t at = 0; at + kTlsRecordHeaderSize <= size;) {
    const std::size_t length = (std::size_t{data[at + 3]} << 8) | data[at + 4];
    if (length > limit) {
      oversized = true;
      bad = length;
      break;
    }
    ++records;
    at += kTlsRecordHeaderSize + length;
  }

  TlsRecordScanner s(limit);
  for (std::size_t at = 0; at < size; at += piece) {
    const std::size_t n = size - at < piece ? size - at : piece;
    s.Feed(pmu::AsBytes(data + at, n));
  }
  if (s.oversized() != oversized) std::abort();
  if (oversized && s.oversized_length() != bad) std::abort();
  if (s.records() != records) std::abort();
  return 0;
}
