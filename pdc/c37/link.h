// One PDC-side link to a PMU (or to a concentrator's output): TCP through the proto
// StreamDecoder, or UDP where each datagram is one frame. Blocking with deadlines;
// `pdc c37 stream` uses it. (`concentrate` has its own non-blocking links.)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../net.h"
#include "pmu/proto/c37118.h"
#include "pmu/proto/c37118_stream.h"

namespace pmu::pdc::c37 {

class Link {
 public:
  Link(const std::string& host, unsigned port, bool udp, Family family, std::chrono::milliseconds timeout);

  void SendCommand(proto::c37118::CommandCode code, std::uint16_t idcode);
  // The next frame within `wait`, or nothing. Views stay valid until the next call.
  // NetError when the peer closed or the socket failed.
  std::optional<proto::c37118::Frame> Next(std::chrono::milliseconds wait);

  const Endpoint& peer() const { return peer_; }
  bool udp() const { return udp_; }
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t rejected() const { return decoder_.frames_rejected() + udp_rejected_; }

 private:
  bool udp_;
  std::chrono::milliseconds timeout_;
  Endpoint peer_;
  Socket socket_;
  std::vector<std::byte> stream_buffer_;
  proto::c37118::StreamDecoder decoder_;
  std::vector<std::byte> input_;
  std::size_t input_begin_ = 0, input_end_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t udp_rejected_ = 0;
};

}  // namespace pmu::pdc::c37
