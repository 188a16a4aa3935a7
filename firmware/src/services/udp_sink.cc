#include "pmu/firmware/services/udp_sink.h"

#include <cinttypes>

namespace pmu::firmware {
namespace {
constexpr const char* kTag = "sink";
}

Status UdpSink::Start(std::uint16_t port) {
  PMU_TRY(endpoint_.Open(port, head_, &UdpSink::OnDatagram, this));
  PMU_LOG_INFO(ctx_.log, kTag, "listening on UDP port %u", port);
  return Status::Ok();
}

void UdpSink::OnDatagram(void* context, ByteSpan head, std::size_t size, const port::UdpPeer& from) {
  auto* self = static_cast<UdpSink*>(context);
  ++self->counters_.datagrams;
  self->counters_.bytes += size;
  FixedString<kShownBytes * 4> shown;
  for (std::byte b : head) {
    const auto c = std::to_integer<unsigned char>(b);
    if (c == '\\') {
      shown.Append("\\\\");
    } else if (c == '"') {
      shown.Append("\\\"");
    } else if (c >= 0x20 && c < 0x7F) {
      shown.Append(static_cast<char>(c));
    } else if (c == '\n') {
      shown.Append("\\n");
    } else {
      shown.Format("\\x%02x", c);
    }
  }
  PMU_LOG_INFO(self->ctx_.log, kTag, "%u bytes from %s: \"%s\"%s", static_cast<unsigned>(size),
               from.Text().c_str(), shown.c_str(), head.size() < size ? " (cut)" : "");
}

bool UdpSink::StatsLine(std::size_t index, ReportLine& t) const {
  if (index != 0) return false;
  t.Format("sink datagrams=%" PRIu32 " bytes=%llu", counters_.datagrams, static_cast<unsigned long long>(counters_.bytes));
  return true;
}

}  // namespace pmu::firmware
