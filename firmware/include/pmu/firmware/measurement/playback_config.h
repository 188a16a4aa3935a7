// Run-time configuration of what the analog front end plays when the board has no ADC:
// the built-in synthesiser (waveform.* keys), a COMTRADE record (comtrade.* keys) or
// one bus of a fleet scenario (scenario.* keys). Part of MeasurementConfig; every key is in
// docs/CONFIGURATION.md. These keys take effect at the next start.
#pragma once

#include <array>
#include <cstdint>

#include "pmu/base/fixed_string.h"

namespace pmu::firmware {

enum class AnalogSource : std::uint8_t { kSynthetic, kComtrade, kScenario };
const char* AnalogSourceName(AnalogSource s);  // "synthetic", "comtrade", "scenario"

// What a COMTRADE record does once played to its end (and before its start).
enum class PlaybackEnd : std::uint8_t {
  kLoop,  // from the start again (and before the start, the record's end)
  kHold,  // the last nominal cycle over and over (before the start, the first)
  kStop,  // no more values: reports carry STAT "data invalid" (before the start too)
};
const char* PlaybackEndName(PlaybackEnd e);  // "loop", "hold", "stop"

// Which record channel feeds each front-end channel (VA VB VC IA IB IC). Channel
// numbers are the record's 1-based analog channel positions; 0: none (the channel
// reads zero). A record of phasors (what pdc --comtrade writes) maps each channel to a
// magnitude (rms) and an angle (degrees) channel; a record of instantaneous samples,
// to one channel.
struct ChannelMap {
  bool automatic = true;  // by channel name (docs/CONFIGURATION.md "comtrade.channels")
  std::array<std::uint16_t, 6> value{};  // the sample, or the phasor's magnitude
  std::array<std::uint16_t, 6> angle{};  // the phasor's angle; all 0 for samples
  bool phasors() const {
    for (std::uint16_t a : angle) {
      if (a != 0) return true;
    }
    return false;
  }
  friend bool operator==(const ChannelMap&, const ChannelMap&) = default;
};

inline constexpr std::size_t kMaxPathChars = 200;  // as kMaxConfigValueChars

struct PlaybackConfig {
  AnalogSource source = AnalogSource::kSynthetic;
  // The simulator's files (a board reads its playback area instead, docs/BOARD.md).
  FixedString<kMaxPathChars> comtrade_file;  // .cfg (with its .dat beside it) or .cff
  ChannelMap channels;
  std::int64_t comtrade_start_ns = -1;  // UTC of the record's first sample; -1: at once
  PlaybackEnd comtrade_end = PlaybackEnd::kLoop;

  FixedString<kMaxPathChars> scenario_file;
  FixedString<32> scenario_bus{std::string_view("1")};  // a bus name, or its 1-based position
  std::int64_t scenario_start_ns = 0;  // UTC of the scenario's time zero; every device the same

  friend bool operator==(const PlaybackConfig&, const PlaybackConfig&) = default;
};

}  // namespace pmu::firmware
