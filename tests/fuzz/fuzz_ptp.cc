// Fuzzes the PTP message parser: no crash; an accepted message's length and time stamp
// are in range, a C37.238 TLV read is one of its two versions, and the start of the
// message (what the service's receive buffer keeps) parses to the same header; a parsed Delay_Req, Pdelay_Req, Pdelay_Resp or Pdelay_Resp_Follow_Up
// written back parses to the same fields; the dataset comparison orders a dataset equal
// to itself.
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
  if (m->announce.power.present && m->announce.power.subtype != 1 && m->announce.power.subtype != 2) std::abort();
  // As the service reads it: the first kMaxMessage bytes of the whole.
  if (size > ptp::kMaxMessage) {
    const auto cut = ptp::Parse(pmu::AsBytes(data, ptp::kMaxMessage), size);
    if (cut.ok() && (cut->header.type != m->header.type || cut->header.sequence != m->header.sequence)) std::abort();
  }
  // What the slave writes (Delay_Req, the peer delay messages) round-trips.
  std::byte out[ptp::kPdelaySize];
  if (const std::size_t n = ptp::Write(out, *m); n > 0) {
    const auto again = ptp::Parse(pmu::ByteSpan(out, n));
    if (!again.ok() || again->header.type != m->header.type || !(again->header.source == m->header.source) ||
        again->header.domain != m->header.domain || again->header.sequence != m->header.sequence ||
        again->header.flags != m->header.flags || again->header.correction != m->header.correction ||
        again->timestamp.Ns() != m->timestamp.Ns() || !(again->requesting == m->requesting)) {
      std::abort();
    }
  }
  return 0;
}
