// The SNTP client's state machine (RFC 4330's client over NTP version 4 packets,
// docs/PROTOCOL.md "Time: SNTP client"), without I/O: the service
// (services/sntp_service) sends the request it writes, with the request's link time
// stamp, and hands it the replies with theirs. Tests drive it directly.
//
//   WAITING   no usable reply yet (after boot): unsynchronised, as the clock says
//   LOCKED    the clock is disciplined and the error bound is vouched for
//   HOLDOVER  no usable reply for kLostPolls polls: the bound grows by the drift
//
// Every poll it asks; only a reply whose origin is the outstanding request's transmit
// time stamp counts (anything else is stale or forged). With t1 the time the request
// was written (before it is handed to the stack: the earliest it can have left), t2
// and t3 the server's receive and transmit times, t4 the reply's link time stamp (the
// latest it can have arrived), the round trip below can only be longer than the true
// one, and the offset's error is within half of it. (Not the request's link stamp: a
// board's transmit stamp is taken after the link driver returns, which under QEMU on a
// busy host came milliseconds after the frame had left, and made round trips negative.)
//
//   offset = ((t2 - t1) + (t3 - t4)) / 2   (server minus device)
//   delay  = (t4 - t1) - (t3 - t2)
//
// A reply whose delay exceeds twice the smallest of the last kDelayWindow (plus 1 ms)
// waited in a queue somewhere and is skipped as an outlier. The servo (PiServo with its
// gains for the poll interval) steps once when far off and slews after.
//
// The error bound when locked, never tighter than the evidence: half the round trip
// (an asymmetric path can put the true offset anywhere in it), the server's own
// distance from UTC (root delay / 2 + root dispersion), the largest |offset| of the
// last kOffsetWindow replies (what the servo was still correcting), the link's
// time-stamp lateness, and one poll interval of drift (the bound must hold until the
// next reply) at the oscillator's stated stability plus what the learnt frequency may
// still be off by (twice that largest offset per poll). Holdover grows at the same
// rate. Coarser than PTP's, and said so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "pmu/base/status.h"
#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/time/pi_servo.h"
#include "pmu/proto/ntp.h"

namespace pmu::firmware {

enum class SntpState : std::uint8_t { kWaiting, kLocked, kHoldover };
const char* SntpStateName(SntpState s);  // "waiting", "locked", "holdover"

struct SntpCounters {
  std::uint32_t requests = 0;
  std::uint32_t replies = 0;       // datagrams from the server port that parsed
  std::uint32_t used = 0;          // replies that disciplined the clock
  std::uint32_t refused = 0;       // not an answer to our request (stale, forged) or unusable (unsynchronised server)
  std::uint32_t kisses = 0;        // kiss-o'-death
  std::uint32_t outliers = 0;      // delay beyond the window's rule
  std::uint32_t malformed = 0;
  std::uint32_t steps = 0;
  std::uint32_t losses = 0;        // times the client went to holdover
};

class SntpClient {
 public:
  static constexpr std::size_t kOffsetWindow = 4;
  static constexpr std::size_t kDelayWindow = 8;
  static constexpr std::uint32_t kLostPolls = 3;
  static constexpr std::uint32_t kLockSamples = 2;  // locked servo outputs before LOCKED
  static constexpr std::uint32_t kMaxPollMs = 1024 * 1000;

  explicit SntpClient(DeviceClock& clock) : clock_(clock) {}
  // `poll_ms`: the interval between requests; `stamp_uncertainty_ns`: how late the
  // link's time stamps may be (hal::Link); `drift_ppb`: the oscillator's stated
  // stability (time.holdover_ppb).
  void Configure(std::uint32_t poll_ms, std::uint32_t stamp_uncertainty_ns, std::uint32_t drift_ppb);

  // Whether a request is due at monotonic `now_ns` (never once a server said DENY/RSTR).
  bool Due(std::uint64_t now_ns) const;
  // Writes the request (48 bytes) and remembers it as the outstanding one, sent at
  // monotonic `now_ns` (t1).
  std::size_t WriteRequest(std::span<std::byte> out, std::uint64_t now_ns);
  // A datagram from the server, received at monotonic `rx_ns`. Ok when it disciplined
  // the clock; otherwise why not (for the debug log).
  Status Receive(ByteSpan datagram, std::uint64_t rx_ns);
  // Lost-server detection (call at least once a second).
  void Tick(std::uint64_t now_ns);

  SntpState state() const { return state_; }
  const SntpCounters& counters() const { return counters_; }
  std::int64_t last_offset_ns() const { return last_offset_ns_; }
  std::int64_t last_delay_ns() const { return last_delay_ns_; }
  std::uint8_t stratum() const { return stratum_; }
  std::uint32_t poll_ms() const { return poll_ms_; }
  bool stopped() const { return stopped_; }

 private:
  void Discipline(std::int64_t offset_ns, std::uint64_t rx_ns, std::uint64_t server_distance_ns);
  bool Outlier(std::int64_t delay_ns);

  DeviceClock& clock_;
  PiServo servo_;
  std::uint32_t poll_ms_ = 16'000;
  std::uint32_t stamp_uncertainty_ns_ = 0;
  std::uint32_t drift_ppb_ = 1000;
  SntpState state_ = SntpState::kWaiting;
  SntpCounters counters_;
  bool stopped_ = false;
  // The outstanding request: its transmit time stamp (what the reply must echo) and
  // when it was written (monotonic).
  bool outstanding_ = false;
  std::uint64_t request_transmit_ = 0;
  std::uint64_t request_written_ns_ = 0;
  std::uint64_t next_request_ns_ = 0;
  std::uint64_t last_used_ns_ = 0;
  std::uint64_t last_sample_ns_ = 0;
  std::int64_t last_offset_ns_ = 0;
  std::int64_t last_delay_ns_ = -1;
  std::uint8_t stratum_ = 0;
  std::int64_t delays_[kDelayWindow] = {};
  std::size_t delay_count_ = 0;
  std::int64_t offsets_[kOffsetWindow] = {};
  std::size_t offset_count_ = 0;
  std::uint32_t locked_samples_ = 0;
};

}  // namespace pmu::firmware
