// The IEEE C37.118.2 synchrophasor service (docs/PROTOCOL.md, TCP 4712 and UDP 4713):
// several PDCs at once, each with its own data on/off state.
//
// TCP: each connection reads command frames through a StreamDecoder (any split, any
// garbage between frames); commands turn data off and on, and ask for the header,
// CFG-1, CFG-2 or CFG-3 (answered at once on that connection). Extended frames and
// unknown command codes are accepted and ignored; other frame types from a PDC are
// ignored. Commands for any IDCODE are answered (logged when not the device's own).
// Data frames go to every connection with data on; a connection whose send buffer is
// full loses that frame (counted), and one that acknowledges nothing while data waits
// is reset by the connection layer's stall rule.
//
// UDP: a datagram is one frame. Commands are answered to the sender's address; data
// on subscribes that address (up to kMaxUdpSubscribers), data off unsubscribes it;
// while subscribed, CFG-2 is re-sent every c37.udp_config_period_s. A subscription is
// a lease of c37.udp_lease_s that every command from the subscriber renews (a PDC
// repeats data on): UDP cannot tell the device that a PDC went away, so one that
// vanishes frees its slot when its lease runs out. With c37.multicast the device also
// streams data and CFG-2 spontaneously to an IPv4 group.
//
// Configuration changes (Reconfigure) bump CFGCNT; every PDC's data frames carry STAT
// bit 10 until that PDC asks for CFG-2 or CFG-3 (or CFG-1) again.
//
// Context: main loop only. Sessions in a static pool; no heap.
#pragma once

#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/measurement/c37_pmu.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/tcp_listener.h"
#include "pmu/port/udp_endpoint.h"
#include "pmu/proto/c37118_stream.h"

namespace pmu::firmware {

// PDCs subscribed over UDP at once (kMaxC37Sessions, over TCP: measurement_config.h):
// the target's, a board's profile.
inline constexpr std::size_t kMaxUdpSubscribers = PMU_MAX_C37_SUBSCRIBERS;

struct C37Counters {
  std::uint32_t accepted = 0;
  std::uint32_t refused = 0;
  std::uint32_t commands = 0;
  std::uint32_t ignored_frames = 0;   // non-command frames, unknown and extended commands
  std::uint32_t rejected_frames = 0;  // bad CRC, bad framing
  std::uint32_t udp_commands = 0;
  std::uint32_t udp_refused = 0;      // data on with every subscriber slot taken
  std::uint32_t udp_expired = 0;      // subscriptions whose lease ran out
  std::uint32_t udp_peak = 0;         // most UDP subscribers at once
  std::uint64_t data_frames = 0;      // data frames sent (per destination)
  std::uint64_t data_dropped = 0;     // not sent, for one of the reasons below
  std::uint64_t dropped_queue = 0;    // TCP: kMaxQueuedDataFrames already wait for the PDC
  std::uint64_t dropped_room = 0;     // TCP: no room in the send buffer
  std::uint64_t dropped_memory = 0;   // TCP or UDP: lwIP had no memory for the frame
  std::uint32_t replies_dropped = 0;  // TCP: a command's answer (header, configuration) that did not fit
  std::uint32_t config_frames = 0;
  std::uint32_t header_frames = 0;
};

class C37Service;

// What one PDC's connection was sent and what it missed, by reason.
struct C37SessionCounters {
  std::uint32_t data_frames = 0;
  std::uint32_t dropped_queue = 0;
  std::uint32_t dropped_room = 0;
  std::uint32_t dropped_memory = 0;
  std::uint32_t replies_dropped = 0;
};

class C37Session final : public port::ConnectionEvents {
 public:
  C37Session(C37Service& service, port::Connection& connection);

  void OnReceive() override;
  void OnPeerClosed() override;
  void OnEnded(const char* why) override;

 private:
  friend class C37Service;
  // Sends one whole frame or nothing (counted by reason); false when it did not fit.
  // Data frames are real-time: at most kMaxQueuedDataFrames wait unacknowledged per
  // PDC (behind a reply), the rest are dropped.
  bool Send(ByteSpan frame, bool data);
  // Counts a frame that did not go, for this PDC and the service.
  void Dropped(std::uint64_t C37Counters::*service_reason, std::uint32_t C37SessionCounters::*reason, bool data);
  // "c37 pdc [2001:db8::1]:40000 data_on=1 data=... dropped queue=... replies=...".
  void StatsLine(ReportLine& t) const;
  static constexpr std::size_t kMaxQueuedDataFrames = 8;

  C37Service& service_;
  port::Connection& connection_;
  C37SessionCounters counters_;
  bool data_on_ = false;
  std::uint16_t config_count_seen_ = 0;  // CFGCNT of the last configuration sent
  std::byte rx_buffer_[320];  // commands are 18 bytes; extended frames up to this
  proto::c37118::StreamDecoder decoder_{rx_buffer_};
};

class C37Service final : public StatsReporter {
 public:
  // `pmu` describes the device; it must outlive the service.
  C37Service(const ServiceContext& context, C37Pmu& pmu) : ctx_(context), pmu_(&pmu) {}

  // Listens on c37.port (TCP) and c37.udp_port (UDP).
  Status Start();
  // The device's configuration changed (pmu already reconfigured): CFGCNT was bumped.
  void ConfigurationChanged();

  // A new report: encodes one data frame and sends it to every PDC with data on.
  void Publish(const Estimate& estimate);

  const C37Counters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;
  const port::TcpListenerBase& listener() const { return listener_; }
  std::size_t udp_subscribers() const;

 private:
  friend class C37Session;
  struct Subscriber {
    bool used = false;
    bool permanent = false;  // the multicast stream
    port::UdpPeer peer;
    std::uint16_t config_count_seen = 0;
    std::uint64_t next_config_ms = 0;
    std::uint64_t lease_until_ms = 0;  // renewed by every command from the subscriber
  };
  enum class Reply : std::uint8_t { kNone, kHeader, kConfig1, kConfig2, kConfig3 };

  static void OnUdp(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from);

  // What a command asks for; updates data_on and the config count the PDC has seen.
  Reply Command(const proto::c37118::Frame& frame, const char* peer, bool* data_on, std::uint16_t* seen);
  // Encodes the reply into the scratch buffer; returns its bytes (empty on error).
  ByteSpan Encode(Reply reply);
  ClockQuality Quality();
  void SendUdp(ByteSpan frame, const port::UdpPeer& to);

  // Ends the subscriptions whose lease ran out.
  void ExpireLeases(std::uint64_t now_ms);

  ServiceContext ctx_;
  C37Pmu* pmu_;
  port::UdpEndpoint udp_;
  std::byte udp_datagram_[320];  // commands are 18 bytes; extended frames up to this
  port::TcpListener<C37Service, C37Session, kMaxC37Sessions> listener_{*this};
  Subscriber subscribers_[kMaxUdpSubscribers + 1];  // + the multicast stream
  std::int64_t last_offset_ns_ = 0;
  std::size_t largest_reply_ = 0;  // bytes of the largest reply encoded so far
  std::uint64_t step_ms_ = 0;
  C37Counters counters_;
  std::byte scratch_[C37Pmu::kMaxConfigFrame];
};

}  // namespace pmu::firmware
