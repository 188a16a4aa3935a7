// A Link decorator that records every frame the device sends and receives in a pcap
// file (LINKTYPE_ETHERNET, microsecond time stamps), for Wireshark/tshark and the
// system tests. Each record is flushed as it is written, so the file is complete up
// to the last frame even if the simulator is killed.
#pragma once

#include <cstdio>
#include <string>

#include "pmu/hal/link.h"

namespace pmu::sim {

class PcapLink final : public hal::Link {
 public:
  explicit PcapLink(hal::Link& inner) : inner_(inner) {}
  ~PcapLink() override;
  PcapLink(const PcapLink&) = delete;
  PcapLink& operator=(const PcapLink&) = delete;

  Status Open(const std::string& path);

  MacAddress mac() const override { return inner_.mac(); }
  bool IsUp() override { return inner_.IsUp(); }
  Status Send(ByteSpan frame) override;
  Result<std::size_t> Receive(MutableByteSpan buffer) override;
  std::uint64_t ReceivedAtNs() const override { return inner_.ReceivedAtNs(); }
  std::uint64_t SentAtNs() const override { return inner_.SentAtNs(); }
  std::uint32_t TimestampUncertaintyNs() const override { return inner_.TimestampUncertaintyNs(); }

 private:
  void Record(ByteSpan frame);
  hal::Link& inner_;
  std::FILE* file_ = nullptr;
};

}  // namespace pmu::sim
