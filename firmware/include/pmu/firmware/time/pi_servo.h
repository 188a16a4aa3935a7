// The servo that disciplines the device's clock from PTP offset measurements: a
// proportional-integral controller on the frequency, after the one linuxptp's ptp4l
// uses (pi.c), in integer arithmetic (no FPU on the board).
//
//   sample 1: remembered;
//   sample 2: the frequency error is estimated from the two offsets and corrected at
//             once; an offset beyond kStepThresholdNs is stepped out (a jump), a
//             smaller one is slewed from then on;
//   later:    frequency = drift + kp offset + ki offset dt, where drift (the integral)
//             keeps ki offset dt; an offset beyond kStepThresholdNs starts over
//             (remember, estimate, step), since slewing it would take minutes.
//
// Offsets are device minus master (ns); the frequency is the correction to apply to
// the device's clock, in parts per trillion (negative slows it down).
#pragma once

#include <cstdint>

namespace pmu::firmware {

class PiServo {
 public:
  enum class State : std::uint8_t { kUnlocked, kJump, kLocked };
  struct Output {
    State state = State::kUnlocked;
    std::int64_t step_ns = 0;        // add to the clock's phase (kJump)
    std::int64_t frequency_ppt = 0;  // the clock's frequency correction from now on
  };

  // Stepping threshold: 1 ms (a PMU's phase error of 21.6 degrees at 60 Hz; below it
  // slewing at the frequency limit takes under 2 s).
  static constexpr std::int64_t kStepThresholdNs = 1'000'000;
  // The most the frequency is corrected: 500 ppm (the simulator's oscillator is within 100).
  static constexpr std::int64_t kMaxFrequencyPpt = 500'000'000;
  // kp 0.7 and ki 0.3 per second of sync interval, linuxptp's constants for hardware
  // time stamps; the simulator's time stamps are steady enough for them (BENCHMARKS.md).
  static constexpr std::int64_t kKpPermille = 700;
  static constexpr std::int64_t kKiPermille = 300;

  PiServo() = default;
  // Gains for an interval longer than a second (the SNTP client polls every few
  // seconds): as linuxptp's pi.c bounds them (kp_norm_max 0.7, ki_norm_max 0.3), kp
  // 0.7 / T and ki 0.3 / T per second for an interval of T seconds, so that neither
  // term corrects more than that fraction of an offset over the interval it applies
  // for.
  static PiServo ForInterval(std::uint32_t interval_ms);

  // One offset measurement taken at monotonic `local_ns`, `interval_ms` after the last
  // (the sync interval).
  Output Sample(std::int64_t offset_ns, std::uint64_t local_ns, std::uint32_t interval_ms);
  // Forget the samples (a new master): the next two start over; the drift is kept.
  void Reset() { count_ = 0; }
  std::int64_t drift_ppt() const { return drift_ppt_; }

 private:
  static std::int64_t Clamp(std::int64_t ppt);

  // The gains in millionths (kp 700000: 0.7).
  std::int64_t kp_micro_ = kKpPermille * 1000;
  std::int64_t ki_micro_ = kKiPermille * 1000;
  int count_ = 0;
  std::int64_t offset0_ = 0;
  std::uint64_t local0_ = 0;
  std::int64_t drift_ppt_ = 0;  // the integral: the frequency error the servo has learnt
};

}  // namespace pmu::firmware
