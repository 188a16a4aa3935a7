// Statistics for the PDC tools.
#pragma once

#include <cstdint>

namespace pmu::pdc {

// The loss probability of a path, estimated from independent datagrams: `sent`
// datagrams to addresses that do answer, `answered` of them answered. Each datagram is
// a Bernoulli trial that survives with probability q = 1 - p; stopping after the
// first answer does not bias q^ = answered/sent (the likelihood is the same as for a
// fixed number of trials). The interval is Wilson's score interval for q, mapped to p.
struct LossEstimate {
  double loss = 0;             // p^ = 1 - answered/sent
  double loss_low = 0;         // 95% interval for p
  double loss_high = 1;
  double datagrams_per_answer = 0;  // sent / answered; 1/(1-p) in expectation
};

// sent >= answered; answered == 0 gives loss 1 with the interval [lower bound, 1].
LossEstimate EstimateLoss(std::uint64_t sent, std::uint64_t answered, double z = 1.959964);

}  // namespace pmu::pdc
