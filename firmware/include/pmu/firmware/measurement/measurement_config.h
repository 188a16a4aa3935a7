// Run-time configuration of the measurement chain: the synthetic waveform the built-in
// front end produces (waveform.* keys) and the estimator and C37.118.2 stream
// (c37.* keys). Part of DeviceConfig; every key is in docs/CONFIGURATION.md.
#pragma once

#include <array>
#include <cstdint>

#include "pmu/base/fixed_string.h"
#include "pmu/base/ip_address.h"
#include "pmu/firmware/measurement/playback_config.h"
#include "pmu_target_config.h"

namespace pmu::firmware {

// PDCs the C37.118.2 service streams to at once over TCP: the target's (a board's
// profile); c37.max_clients may only lower it.
inline constexpr std::uint8_t kMaxC37Sessions = PMU_MAX_C37_SESSIONS;

// The front end's fixed sampling rate: 2400 samples/s is 48 per cycle at 50 Hz and 40
// at 60 Hz (whole cycles for both nominal frequencies), and a whole number of samples
// per report at every standard reporting rate (2400/120 = 20 ... 2400/10 = 240), so
// every reporting instant falls on a sample. See docs/ARCHITECTURE.md.
inline constexpr std::uint32_t kSampleRate = 2400;

inline constexpr std::size_t kMaxHarmonics = 6;  // fits the 64-character value text

struct Harmonic {
  std::uint8_t order = 0;  // 2 .. 50
  float fraction = 0;      // of the fundamental's amplitude
  friend bool operator==(const Harmonic&, const Harmonic&) = default;
};

// The simulated power system, as seen by the synthetic front end. Times are seconds
// after the waveform's start (the device's start, or the last configuration change).
struct WaveformConfig {
  float voltage_rms = 132790.0f;     // phase-to-neutral (230 kV line-to-line)
  float current_rms = 500.0f;
  float current_angle_deg = -30.0f;  // current relative to its phase voltage
  float freq_offset_hz = 0;          // off-nominal frequency
  float rocof_hz_s = 0;              // frequency ramp, between ramp_start_s and ramp_stop_s
  float ramp_start_s = 0;
  float ramp_stop_s = 0;             // 0: the ramp never stops
  float step_at_s = 0;               // 0: no step
  float step_magnitude = 0;          // relative amplitude step (0.1 = +10%)
  float step_phase_deg = 0;
  float mod_hz = 0;                  // amplitude and phase modulation frequency (0: none)
  float mod_amplitude = 0;           // kx: amplitude modulation depth
  float mod_phase_deg = 0;           // ka: phase modulation depth
  std::array<Harmonic, kMaxHarmonics> harmonics{};
  std::uint8_t harmonic_count = 0;
  float noise = 0;                   // white noise, rms, relative to the fundamental's rms
  float unbalance = 0;               // negative-sequence voltage and current, relative
  std::uint32_t seed = 1;            // of the noise generator

  friend bool operator==(const WaveformConfig&, const WaveformConfig&) = default;
};

enum class MeasurementClass : std::uint8_t { kP, kM };  // IEEE C37.118.1 performance class

// Phasor channels a PMU can report (CFG PHNMR entries), in the order configured.
enum class PhasorChannel : std::uint8_t { kVa, kVb, kVc, kV1, kIa, kIb, kIc, kI1 };
inline constexpr std::size_t kPhasorChannelKinds = 8;
// Analog channels: three-phase active, reactive and apparent power (W, var, VA).
enum class AnalogChannelKind : std::uint8_t { kP, kQ, kS };
inline constexpr std::size_t kAnalogChannelKinds = 3;

struct C37Config {
  std::uint16_t idcode = 1;
  FixedString<16> station{std::string_view("pmu1")};
  std::uint8_t nominal_hz = 60;  // 50 or 60
  std::uint8_t rate = 30;        // reports per second
  std::uint8_t version = 2;      // emitted: 1 (2005) or 2 (2011); CFG-3 is always 2
  MeasurementClass measurement_class = MeasurementClass::kP;
  bool polar = true;
  bool phasor_float = true;
  bool analog_float = true;
  bool freq_float = true;
  std::array<PhasorChannel, kPhasorChannelKinds> phasors{PhasorChannel::kVa, PhasorChannel::kVb,
                                                         PhasorChannel::kVc, PhasorChannel::kV1,
                                                         PhasorChannel::kIa, PhasorChannel::kIb,
                                                         PhasorChannel::kIc, PhasorChannel::kI1};
  std::uint8_t phasor_count = 8;
  std::array<AnalogChannelKind, kAnalogChannelKinds> analogs{AnalogChannelKind::kP, AnalogChannelKind::kQ,
                                                             AnalogChannelKind::kS};
  std::uint8_t analog_count = 2;
  std::uint8_t digital_words = 1;  // 0 or 1
  std::uint16_t digital_value = 0;
  std::uint32_t time_base = 1'000'000;
  std::uint16_t port = 4712;
  std::uint16_t udp_port = 4713;
  std::uint8_t max_clients = kMaxC37Sessions;
  std::uint32_t udp_config_period_s = 10;  // CFG-2 re-sent to UDP subscribers while data is on
  std::uint32_t udp_lease_s = 60;          // a UDP subscription ends unless a command renews it
  bool multicast = false;                  // spontaneous data stream to the groups below
  Ipv4Address multicast_group4{{239, 1, 47, 13}};
  std::uint16_t multicast_port = 4713;
  std::uint32_t emulated_delay_ms = 0;     // each report is computed and sent this much later

  friend bool operator==(const C37Config&, const C37Config&) = default;
};

// The keys the measurement reads: c37.* and waveform.* (applied while running), and
// what a board without an ADC plays (analog.source, comtrade.*, scenario.*: at the
// next start).
struct MeasurementConfig {
  C37Config c37;
  WaveformConfig waveform;
  PlaybackConfig playback;
};

const char* PhasorChannelName(PhasorChannel c);      // "VA" ... "I1"
const char* AnalogChannelName(AnalogChannelKind c);  // "P", "Q", "S"

}  // namespace pmu::firmware
