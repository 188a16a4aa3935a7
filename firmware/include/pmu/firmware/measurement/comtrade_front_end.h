// The COMTRADE playback front end: a second hal::AnalogFrontEnd beside the synthetic
// one, playing an IEEE C37.111 record (1991, 1999, 2013; ASCII, BINARY, BINARY32,
// FLOAT32) on the device's sample grid.
//
// The record comes from a hal::Storage holding it as one 2013 .cff (CFG section, then
// optional INF and HDR, then the DAT section): the board's playback area, or the
// simulator's .cfg and .dat joined in memory. Load() reads it twice, record by record
// through a small line buffer (proto::comtrade's decoders; nothing of the record is
// held but its configuration): once for each channel's largest value, which sets the
// counts' scale, then to resample it into the caller's sample buffer at the front
// end's 2400 samples/s. Primary values: a channel recorded as secondary is multiplied
// by its primary/secondary ratio.
//
// Two kinds of record, by the channel map (PlaybackConfig::channels):
//   samples  each channel an instantaneous waveform; resampled by cubic (4-point
//            Lagrange) interpolation on the record's own sample times (its rates, or
//            its time stamps when nrates is 0). A record faster than 2400/s is not
//            low-pass filtered first: content above 1200 Hz folds back.
//   phasors  each channel a magnitude (rms) and an angle (degrees) at the reporting
//            rate, as pdc --comtrade writes them; the waveform is
//            sqrt(2) M(t) cos(2 pi f0 t + theta(t)) on the device's UTC grid, with M and
//            the unwrapped angle interpolated linearly between reports. So a played
//            record reports the angles it recorded, whenever it is played.
//
// Timing: the record's first sample is played at `start` (a sample number on the
// grid). Before it and after its end, by PlaybackEnd: loop (the record repeats; a
// phasor record's length is rounded up to whole nominal cycles so its angles carry
// on), hold (the first / last nominal cycle repeats) or stop (Read answers
// kOutOfRange: the measurement then reports the instant as data invalid).
#pragma once

#include <cstdint>
#include <span>

#include "pmu/base/fixed_string.h"
#include "pmu/base/status.h"
#include "pmu/firmware/measurement/measurement_config.h"
#include "pmu/firmware/measurement/playback_config.h"
#include "pmu/hal/analog_front_end.h"
#include "pmu/hal/storage.h"
#include "pmu/proto/comtrade.h"

namespace pmu::firmware {

struct PlaybackSettings {
  ChannelMap channels;
  std::int64_t start = 0;  // sample number of the record's first sample
  PlaybackEnd end = PlaybackEnd::kLoop;
  std::uint32_t nominal_hz = 60;
};

// Why a record was refused: the proto error (line, field, channel) and its text.
using PlaybackError = FixedString<240>;

class ComtradeFrontEnd final : public hal::AnalogFrontEnd {
 public:
  // `buffer` holds the resampled record (the board's static pool); its size is the
  // longest record this front end plays (buffer.size() / 2400 seconds).
  explicit ComtradeFrontEnd(std::span<hal::AnalogSample> buffer) : buffer_(buffer) {}

  // Reads the record in `store` and prepares playback. Errors (InvalidArgument,
  // OutOfRange, ResourceExhausted) come with a description in `why`: the record's
  // line and field, or what does not fit.
  Status Load(hal::Storage& store, const PlaybackSettings& settings, PlaybackError& why);

  std::uint32_t sample_rate() const override { return kSampleRate; }
  float scale(std::size_t channel) const override;
  Status Read(std::int64_t first, std::span<hal::AnalogSample> out) override;

  const proto::comtrade::Config& record() const { return config_; }
  std::int64_t length() const { return length_; }  // played samples per pass
  std::int64_t start() const { return settings_.start; }
  bool phasors() const { return settings_.channels.phasors(); }
  // The channel map in use (after `auto` resolved it).
  const ChannelMap& channels() const { return settings_.channels; }

  static constexpr std::size_t kMaxLine = 2048;  // longest ASCII record line or binary record

 private:
  struct Resampler;  // pass two
  Status Locate(hal::Storage& store, PlaybackError& why);
  Status ResolveChannels(PlaybackError& why);
  // Calls fn(time_s, primary values of the mapped channels) for every record in order.
  template <typename Fn>
  Status ForEachRecord(hal::Storage& store, PlaybackError& why, Fn&& fn);
  std::int64_t Index(std::int64_t relative) const;  // -1: no value (stop)
  // Output sample j from the values of the mapped channels at its time.
  void Store(std::int64_t j, const double* values);

  std::span<hal::AnalogSample> buffer_;
  PlaybackSettings settings_;
  proto::comtrade::Config config_;
  std::uint64_t cfg_end_ = 0;     // offset of the DAT section's data
  std::uint64_t dat_end_ = 0;     // end of the data (binary: by its byte count)
  std::int64_t length_ = 0;       // resampled samples held
  std::int64_t cycle_ = 40;       // samples per nominal cycle
  float scale_[hal::kAnalogChannels] = {};
  char line_[kMaxLine];
  double raw_[proto::comtrade::kMaxAnalog];  // one record's values
};

// The firmware's static pool for the resampled record: PMU_PLAYBACK_MAX_SAMPLES samples
// (playback_pool.cc). Main loop only; one ComtradeFrontEnd uses it.
std::span<hal::AnalogSample> PlaybackSamplePool();

}  // namespace pmu::firmware
