#include "pmu/firmware/services/udp_sink.h"

#include "pmu/port/connection.h"
#include "pmu/port/lwip_status.h"

namespace pmu::firmware {

Status UdpSink::Start(std::uint16_t port) {
  pcb_ = udp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb_ == nullptr) return ResourceExhausted("no UDP PCB for the sink");
  const err_t err = udp_bind(pcb_, IP_ANY_TYPE, port);
  if (err != ERR_OK) {
    udp_remove(pcb_);
    pcb_ = nullptr;
    return port::FromLwipErr(err);
  }
  udp_recv(pcb_, &UdpSink::OnRecv, this);
  PMU_LOG_INFO(ctx_.log, "sink", "listening on UDP port %u", port);
  return Status::Ok();
}

void UdpSink::OnRecv(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* addr, u16_t port) {
  auto* self = static_cast<UdpSink*>(arg);
  // Thin callback: copy out what the log shows, free the pbuf, then act.
  char head[kShownBytes];
  const u16_t total = p->tot_len;
  const u16_t copied = pbuf_copy_partial(p, head, sizeof(head), 0);
  pbuf_free(p);

  ++self->counters_.datagrams;
  self->counters_.bytes += total;
  FixedString<kShownBytes * 4> shown;
  for (u16_t i = 0; i < copied; ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
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
  PMU_LOG_INFO(self->ctx_.log, "sink", "%u bytes from %s: \"%s\"%s", total, port::FormatPeer(addr, port).c_str(),
               shown.c_str(), copied < total ? " (cut)" : "");
}

}  // namespace pmu::firmware
