// Fuzzes the PTP message parser: no crash; an accepted message's length and time stamp
// are in range; a parsed Delay_Req written back parses to the same fields; the dataset
// comparison orders a dataset equal to itself.
#include <cstdint>
#include <cstdlib>

#include "pmu/proto/ptp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ptp = pmu::proto::ptp;
  const auto m = ptp::Parse(pmu::AsBytes(data, size));
  if (!m.ok()) return 0;
  if (m->header.length > size || m->header.length < ptp::kHeaderSize) std::abort();
  if (m->timestamp.nanoseconds >= 1'000'000'000u || m->timestamp.seconds >= (1ull << 33)) std::abort();
  if (ptp::CompareDatasets(m->announce, m->header.source, m->announce, m->header.source) != 0) std::abort();
  if (m->header.type == ptp::MessageType::kDelayReq) {
    std::byte out[ptp::kDelayReqSize];
    const std::size_t n =
        ptp::WriteDelayReq(out, m->header.source, m->header.domain, m->header.sequence, m->timestamp);
    const auto again = ptp::Parse(pmu::ByteSpan(out, n));
    if (!again.ok() || !(again->header.source == m->header.source) || again->header.domain != m->header.domain ||
        again->header.sequence != m->header.sequence || again->timestamp.Ns() != m->timestamp.Ns()) {
      std::abort();
    }
  }
  return 0;
}
