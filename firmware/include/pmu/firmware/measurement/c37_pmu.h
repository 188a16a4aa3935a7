// The device as a C37.118.2 PMU, independent of the transport: its configuration
// (CFG-1, CFG-2, CFG-3) built from C37Config, its header text, its data frames built
// from the estimator's reports, its STAT word and time quality from the device clock,
// and CFGCNT. The C37.118.2 service (c37118_service.h) sends what this encodes.
//
// Buffers are the caller's; nothing here allocates or touches lwIP, so it is tested on
// the host with the proto decoders.
#pragma once

#include <cstdint>

#include "pmu/firmware/device_clock.h"

#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"
#include "pmu/firmware/measurement/measurement_config.h"
#include "pmu/firmware/measurement/phasor_estimator.h"
#include "pmu/proto/c37118.h"

namespace pmu::firmware {

using C37HeaderText = FixedString<700>;

// What the device clock says about time quality.
struct ClockQuality {
  bool stepped = false;             // the reset service moved the clock since boot
  std::int64_t offset_ns = 0;       // by how much in all
  std::uint64_t since_step_ms = 0;  // how long ago the last step was
  TimeError time;                   // the time source's state and error bound
};

// What the STAT word and FRACSEC say about the time (docs/PROTOCOL.md "STAT and time
// quality"): never a better claim than the evidence.
struct TimeQualityClaim {
  bool sync_lost = false;          // STAT bit 13
  std::uint64_t unlocked_ms = 0;   // for STAT bits 5-4
  std::uint8_t stat_quality = 7;   // STAT bits 8-6 (version 2011)
  std::uint8_t code = 0xF;         // FRACSEC time-quality code
};
TimeQualityClaim ClaimOf(const ClockQuality& q);

class C37Pmu {
 public:
  // Builds the configuration from `config` (station, channels, formats, rate ...),
  // for a front end of `voltage_scale`/`current_scale` (PHUNIT for integer phasors)
  // and the estimator's window. `config_count` is CFGCNT. InvalidArgument when the
  // data frames would not fit kMaxDataFrame.
  Status Configure(const C37Config& config, const PhasorEstimator& estimator, float voltage_rms, float current_rms,
                   std::uint16_t config_count, const char* board_name, const char* firmware_version);

  // CFGCNT goes up by one (a configuration change).
  void BumpConfigCount();
  std::uint16_t config_count() const { return config_.pmus[0].config_count; }
  std::uint16_t idcode() const { return config_.idcode; }
  proto::c37118::Version version() const { return version_; }

  // The STAT word for data frames (without the configuration-changed bit, which is per
  // PDC) and the FRACSEC time-quality byte, from the clock's state.
  std::uint16_t Stat(const ClockQuality& q) const;
  proto::c37118::TimeQuality TimeQualityOf(const ClockQuality& q) const;

  // Time stamp of the report at sample `sample` (kSampleRate grid).
  proto::c37118::Timestamp TimestampOf(std::int64_t sample, const ClockQuality& q) const;

  // Encoders; `now` stamps configuration and header frames. Return the length.
  Result<std::size_t> EncodeConfig(proto::c37118::FrameType type, std::int64_t now_ns, const ClockQuality& q,
                                   MutableByteSpan out);
  Result<std::size_t> EncodeHeader(std::int64_t now_ns, const ClockQuality& q, MutableByteSpan out) const;
  Result<std::size_t> EncodeData(const Estimate& e, const ClockQuality& q, MutableByteSpan out) const;

  // A hash of the configuration frame without CFGCNT and time: what a PDC would need
  // to re-read. The device keeps CFGCNT across restarts with it.
  std::uint32_t DescriptionHash();

  const proto::c37118::ConfigFrame& config_frame() const { return config_; }
  std::string_view header_text() const { return header_.view(); }
  // A sentence naming the time source, for the header frame (before Configure).
  void set_time_source(const char* sentence) { time_source_ = sentence; }

  static constexpr std::size_t kMaxDataFrame = 256;
  static constexpr std::size_t kMaxConfigFrame = 1400;  // one unfragmented datagram

 private:
  proto::c37118::Timestamp Stamp(std::int64_t utc_ns, const ClockQuality& q) const;

  C37Config c37_;
  proto::c37118::Version version_ = proto::c37118::Version::k2011;
  proto::c37118::ConfigFrame config_;
  std::array<FixedString<16>, proto::c37118::kMaxDigitalNames> digital_names_{};
  C37HeaderText header_;
  const char* time_source_ = nullptr;
  float phasor_lsb_[kPhasorChannelKinds] = {};  // V or A per count of integer phasors
  float analog_lsb_ = 1;                         // W, var or VA per count of integer analogs
};

}  // namespace pmu::firmware
