// Fuzzes the reset request and answer parsers: no crash; an accepted request has its
// fields in range and formats back to text that parses to the same request.
#include <cstdint>
#include <cstdlib>

#include "pmu/proto/reset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::proto;
  const pmu::ByteSpan bytes = pmu::AsBytes(data, size);
  if (auto r = ParseResetRequest(bytes); r.ok()) {
    if (r->seconds > kMaxResetSeconds || size > kMaxResetDatagram) std::abort();
    if (!r->token.empty() && !IsValidResetToken(r->token)) std::abort();
    char buf[160];
    const std::size_t n = FormatResetRequest(*r, buf);
    if (n == 0) std::abort();
    auto again = ParseResetRequest(pmu::AsBytes(buf, n));
    if (!again.ok() || again->seconds != r->seconds || again->token != r->token) std::abort();
  }
  if (auto a = ParseResetAnswer(bytes); a.ok()) {
    if (*a > kMaxResetSeconds) std::abort();
    char buf[32];
    const std::size_t n = FormatResetAnswer(*a, buf);
    auto again = ParseResetAnswer(pmu::AsBytes(buf, n));
    if (!again.ok() || *again != *a) std::abort();
  }
  return 0;
}
