#include "stats.h"

#include <algorithm>
#include <cmath>

namespace pmu::pdc {

LossEstimate EstimateLoss(std::uint64_t sent, std::uint64_t answered, double z) {
  LossEstimate e;
  if (sent == 0) return e;
  answered = std::min(answered, sent);
  const double n = static_cast<double>(sent);
  const double q = static_cast<double>(answered) / n;
  const double z2 = z * z;
  const double denom = 1 + z2 / n;
  const double center = (q + z2 / (2 * n)) / denom;
  const double half = z * std::sqrt(q * (1 - q) / n + z2 / (4 * n * n)) / denom;
  e.loss = 1 - q;
  e.loss_low = std::max(0.0, 1 - (center + half));
  e.loss_high = std::min(1.0, 1 - (center - half));
  e.datagrams_per_answer = answered ? n / static_cast<double>(answered) : INFINITY;
  return e;
}

}  // namespace pmu::pdc
