#include "pmu/firmware/time/pi_servo.h"

namespace pmu::firmware {

std::int64_t PiServo::Clamp(std::int64_t ppt) {
  return ppt > kMaxFrequencyPpt ? kMaxFrequencyPpt : ppt < -kMaxFrequencyPpt ? -kMaxFrequencyPpt : ppt;
}

PiServo PiServo::ForInterval(std::uint32_t interval_ms) {
  PiServo s;
  if (interval_ms > 1000) {
    const auto t = static_cast<std::int64_t>(interval_ms);
    s.kp_micro_ = kKpPermille * 1'000'000 / t;
    // ki enters as ki * offset * T (below): 0.3 / T of it per second is 0.3 / T^2.
    s.ki_micro_ = kKiPermille * 1'000'000'000 / (t * t);
    if (s.ki_micro_ < 1) s.ki_micro_ = 1;
  }
  return s;
}

PiServo::Output PiServo::Sample(std::int64_t offset_ns, std::uint64_t local_ns, std::uint32_t interval_ms) {
  Output out;
  const std::int64_t magnitude = offset_ns < 0 ? -offset_ns : offset_ns;
  if (count_ >= 2 && magnitude > kStepThresholdNs) count_ = 0;
  if (count_ == 0) {
    offset0_ = offset_ns;
    local0_ = local_ns;
    count_ = 1;
    out.frequency_ppt = drift_ppt_;
    return out;
  }
  if (count_ == 1) {
    const auto elapsed = static_cast<std::int64_t>(local_ns - local0_);
    if (elapsed <= 0) {
      out.frequency_ppt = drift_ppt_;
      return out;
    }
    // The offset grew by (offset - offset0) ns in `elapsed` ns: the device runs that
    // much fast, 1e12 growth / elapsed ppt (growth bounded so that it cannot overflow).
    std::int64_t growth = offset_ns - offset0_;
    growth = growth > 1'000'000'000 ? 1'000'000'000 : growth < -1'000'000'000 ? -1'000'000'000 : growth;
    const std::int64_t elapsed_us = elapsed / 1000 > 0 ? elapsed / 1000 : 1;
    drift_ppt_ = Clamp(drift_ppt_ - growth * 1'000'000'000 / elapsed_us);
    count_ = 2;
    out.frequency_ppt = drift_ppt_;
    if (magnitude > kStepThresholdNs) {
      out.state = State::kJump;
      out.step_ns = -offset_ns;
    } else {
      out.state = State::kLocked;
    }
    return out;
  }
  // In ppb (ns/s) as pi.c: kp offset + ki offset dt; here in ppt, so 1000 times that.
  // |offset| is within the step threshold here (1e6 ns), so neither product overflows.
  const std::int64_t kp_ppt = -offset_ns * kp_micro_ / 1000;
  const std::int64_t ki_ppt = -offset_ns * ki_micro_ * static_cast<std::int64_t>(interval_ms) / 1'000'000;
  std::int64_t ppt = drift_ppt_ + kp_ppt + ki_ppt;
  if (ppt > kMaxFrequencyPpt || ppt < -kMaxFrequencyPpt) {
    ppt = Clamp(ppt);  // saturated: the integral does not wind up
  } else {
    drift_ppt_ += ki_ppt;
  }
  out.state = State::kLocked;
  out.frequency_ppt = ppt;
  return out;
}

}  // namespace pmu::firmware
