#include "pmu/port/ethernet_endpoint.h"

#include <cstring>

#include "link_netif.h"

namespace pmu::port {
namespace {
constexpr std::size_t kHeader = 14;
constexpr std::size_t kMinFrame = 60;  // without the FCS
}  // namespace

EthernetEndpoint::~EthernetEndpoint() {
  if (open_) LinkSetRawReceiver(0, nullptr, nullptr);
}

Status EthernetEndpoint::Open(std::uint16_t ethertype, MutableByteSpan buffer, Receiver receiver, void* context) {
  if (open_) return FailedPrecondition("Ethernet endpoint already open");
  ethertype_ = ethertype;
  buffer_ = buffer;
  receiver_ = receiver;
  context_ = context;
  LinkSetRawReceiver(ethertype, &EthernetEndpoint::OnFrame, this);
  open_ = true;
  return Status::Ok();
}

void EthernetEndpoint::OnFrame(void* context, ByteSpan frame) {
  auto* self = static_cast<EthernetEndpoint*>(context);
  self->received_at_ns_ = LinkRxStampNs();
  const std::size_t offset = LoadBe16(frame.data() + 12) == 0x8100 ? kHeader + 4 : kHeader;
  const std::size_t size = frame.size() - offset;
  const std::size_t n = size < self->buffer_.size() ? size : self->buffer_.size();
  std::memcpy(self->buffer_.data(), frame.data() + offset, n);
  MacAddress source;
  std::memcpy(source.octets.data(), frame.data() + 6, 6);
  self->receiver_(self->context_, ByteSpan(self->buffer_.data(), n), size, source);
}

Status EthernetEndpoint::SendTo(const MacAddress& destination, ByteSpan payload) {
  sent_at_ns_ = 0;
  if (payload.size() > EthernetEndpoint::kMaxPayload) return InvalidArgument("payload beyond the endpoint's frames");
  std::byte frame[kHeader + EthernetEndpoint::kMaxPayload];
  const MacAddress self = LinkMac();
  std::memcpy(frame, destination.octets.data(), 6);
  std::memcpy(frame + 6, self.octets.data(), 6);
  StoreBe16(frame + 12, ethertype_);
  std::memcpy(frame + kHeader, payload.data(), payload.size());
  std::size_t size = kHeader + payload.size();
  if (size < kMinFrame) {
    std::memset(frame + size, 0, kMinFrame - size);
    size = kMinFrame;
  }
  PMU_TRY(LinkSendRaw(ByteSpan(frame, size)));
  sent_at_ns_ = LinkTxStampNs();
  return Status::Ok();
}

}  // namespace pmu::port
