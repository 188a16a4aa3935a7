// Fuzzes the NTP packet parser and the reply check: no crash; a parsed packet's fields
// are what its first bytes say; a packet accepted as an answer is a synchronised server
// reply echoing the request; the time stamp conversion round-trips for the packet's
// own transmit time read near it.
#include <cstdint>
#include <cstdlib>

#include "pmu/proto/ntp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ntp = pmu::proto::ntp;
  const auto p = ntp::Parse(pmu::AsBytes(data, size));
  if (!p.ok()) return 0;
  if (size < ntp::kPacketSize || p->version < 1 || p->version > 4) std::abort();
  if (p->mode != (data[0] & 7) || p->stratum != data[1]) std::abort();
  if (ntp::AnswerTo(*p, p->origin).ok() &&
      (p->mode != 4 || p->stratum == 0 || p->stratum > 15 || p->leap == ntp::kLeapUnsynchronised)) {
    std::abort();
  }
  if (ntp::AnswerTo(*p, ~p->origin).ok()) std::abort();  // an answer to another request
  const std::int64_t near = ntp::ToUnixNs(p->transmit, 1'796'655'643'000'000'000);
  const std::int64_t again = ntp::ToUnixNs(ntp::FromUnixNs(near), near);
  if (again - near > 1 || near - again > 1) std::abort();
  char text[5];
  ntp::ReferenceText(p->reference_id, text);
  return 0;
}
