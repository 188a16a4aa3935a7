#include "pcap_link.h"

#include <cstdint>
#include <ctime>

namespace pmu::sim {
namespace {

struct PcapFileHeader {
  std::uint32_t magic = 0xA1B2C3D4;  // microsecond time stamps, host byte order
  std::uint16_t version_major = 2;
  std::uint16_t version_minor = 4;
  std::int32_t thiszone = 0;
  std::uint32_t sigfigs = 0;
  std::uint32_t snaplen = 65535;
  std::uint32_t linktype = 1;  // LINKTYPE_ETHERNET
};

struct PcapRecordHeader {
  std::uint32_t ts_sec;
  std::uint32_t ts_usec;
  std::uint32_t incl_len;
  std::uint32_t orig_len;
};

}  // namespace

PcapLink::~PcapLink() {
  if (file_ != nullptr) std::fclose(file_);
}

Status PcapLink::Open(const std::string& path) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return Unavailable("cannot create the pcap file");
  const PcapFileHeader header;
  if (std::fwrite(&header, sizeof(header), 1, file_) != 1 || std::fflush(file_) != 0) {
    return Unavailable("cannot write the pcap file");
  }
  return Status::Ok();
}

void PcapLink::Record(ByteSpan frame) {
  if (file_ == nullptr) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const PcapRecordHeader r{static_cast<std::uint32_t>(ts.tv_sec), static_cast<std::uint32_t>(ts.tv_nsec / 1000),
                           static_cast<std::uint32_t>(frame.size()), static_cast<std::uint32_t>(frame.size())};
  std::fwrite(&r, sizeof(r), 1, file_);
  std::fwrite(frame.data(), 1, frame.size(), file_);
  std::fflush(file_);
}

Status PcapLink::Send(ByteSpan frame) {
  const Status s = inner_.Send(frame);
  if (s.ok()) Record(frame);
  return s;
}

Result<std::size_t> PcapLink::Receive(MutableByteSpan buffer) {
  Result<std::size_t> n = inner_.Receive(buffer);
  if (n.ok() && *n > 0) Record(buffer.first(*n));
  return n;
}

}  // namespace pmu::sim
