// The analog front end: six channels (three phase voltages, three phase currents)
// sampled at one fixed rate on a grid locked to the device's UTC second. A real ADC
// driver (SAR ADC triggered by a timer disciplined by PPS, samples moved by DMA into a
// ring) and the firmware's built-in synthesiser (firmware/measurement) implement it;
// tests fake it.
//
// The sample grid: sample number n is taken at n / sample_rate() seconds after
// 1970-01-01T00:00:00Z on the device's timescale (DeviceClock::UtcNs). sample_rate()
// is a whole number of samples per second, so every UTC second starts on a sample, and
// the measurement can ask for any stretch of samples by number. It keeps the samples
// that consecutive reports' windows share, so in steady state it asks for each sample
// once, in order; only its first report after a start or a clock step asks for a whole
// window (up to 1023 samples) at once.
//
// Context: main loop only. No virtual calls in interrupt context: a driver's ISR or DMA
// fills its ring; Read() copies out of it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "pmu/base/status.h"

namespace pmu::hal {

inline constexpr std::size_t kAnalogChannels = 6;
// Channel order in an AnalogSample.
enum class AnalogChannel : std::uint8_t { kVa = 0, kVb, kVc, kIa, kIb, kIc };

// One instant of all channels, as ADC counts (16-bit, signed, zero at 0 V / 0 A).
struct AnalogSample {
  std::array<std::int16_t, kAnalogChannels> counts{};
};

class AnalogFrontEnd {
 public:
  virtual ~AnalogFrontEnd() = default;

  // Samples per second per channel; constant while the device runs.
  virtual std::uint32_t sample_rate() const = 0;
  // Instantaneous volts (channels 0-2) or amperes (3-5) per count.
  virtual float scale(std::size_t channel) const = 0;

  // Copies samples number first .. first + out.size() - 1 into `out`. Errors:
  // kUnavailable when some of them are not taken yet; kDataLoss when some are no
  // longer held (a driver keeps a bounded history and says how much in its docs);
  // kOutOfRange when the front end has no values there by design (a played record
  // that stopped): the measurement then reports the instant as data invalid.
  virtual Status Read(std::int64_t first, std::span<AnalogSample> out) = 0;
};

}  // namespace pmu::hal
