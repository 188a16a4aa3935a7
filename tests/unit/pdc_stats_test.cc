#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "stats.h"

namespace pmu::pdc {
namespace {

TEST(LossEstimate, PointEstimateAndMean) {
  const LossEstimate e = EstimateLoss(150, 60);
  EXPECT_NEAR(e.loss, 0.6, 1e-12);
  EXPECT_NEAR(e.datagrams_per_answer, 2.5, 1e-12);
  EXPECT_LT(e.loss_low, 0.6);
  EXPECT_GT(e.loss_high, 0.6);
}

TEST(LossEstimate, WilsonIntervalKnownValues) {
  // The Wilson 95% interval for 60 successes in 150 trials is the set of q with
  // |60/150 - q| <= 1.96 sqrt(q(1-q)/150): [0.32505, 0.47995] found by scanning q
  // (independently of the closed form), so p is in [0.52005, 0.67495].
  const LossEstimate e = EstimateLoss(150, 60);
  EXPECT_NEAR(e.loss_low, 0.52005, 2e-5);
  EXPECT_NEAR(e.loss_high, 0.67495, 2e-5);
}

TEST(LossEstimate, Edges) {
  const LossEstimate none = EstimateLoss(10, 0);
  EXPECT_EQ(none.loss, 1.0);
  EXPECT_EQ(none.loss_high, 1.0);
  EXPECT_GT(none.loss_low, 0.6);  // ten losses in a row say p is large
  EXPECT_TRUE(std::isinf(none.datagrams_per_answer));
  const LossEstimate all = EstimateLoss(10, 10);
  EXPECT_EQ(all.loss, 0.0);
  EXPECT_NEAR(all.loss_low, 0.0, 1e-12);
  EXPECT_LT(all.loss_high, 0.35);
  const LossEstimate empty = EstimateLoss(0, 0);
  EXPECT_EQ(empty.loss, 0.0);
}

TEST(LossEstimate, CoversTheTrueLossInSimulatedExperiments) {
  // 2000 simulated experiments of 60 answers each with p = 0.6: the 95% interval
  // should contain 0.6 in about 95% of them.
  std::mt19937_64 rng(12345);
  std::bernoulli_distribution survives(0.4);
  int covered = 0;
  const int experiments = 2000;
  for (int x = 0; x < experiments; ++x) {
    std::uint64_t sent = 0, answered = 0;
    while (answered < 60) {
      ++sent;
      if (survives(rng)) ++answered;
    }
    const LossEstimate e = EstimateLoss(sent, answered);
    if (e.loss_low <= 0.6 && 0.6 <= e.loss_high) ++covered;
  }
  EXPECT_GT(covered, experiments * 0.92);
  EXPECT_LT(covered, experiments * 0.98);
}

}  // namespace
}  // namespace pmu::pdc
