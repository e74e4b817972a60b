// Statistical checks of the ksg permutation test over many seeded trials: the false-positive rate
// of "I(X; Y | Z) > 0" on a Gaussian chain X -> Z -> Y (where it is 0) stays near 1 - confidence
// thanks to the local permutation, and the test finds the collider's dependence.
#include <gtest/gtest.h>

#include <cstdio>

#include "info/gaussian_samples.h"
#include "mipp/info/ksg.h"

namespace mipp::info {

TEST(KsgEstimator, PermutationTestFalsePositiveRateNearLevelOnChain) {
  KsgOptions o;
  o.permutations = 19;  // smallest p-value 0.05: enough for confidence 0.9
  const auto e = make_ksg_estimator(o);
  const int trials = 60;
  const int chain = testing::count_significant(*e, trials, 0.9, [](uint64_t s) { return testing::chain(300, 1, s); });
  const int collider =
      testing::count_significant(*e, trials, 0.9, [](uint64_t s) { return testing::collider(300, 1, s); });
  std::printf("ksg permutation test at confidence 0.9, n = 300, %d trials: chain %d significant (expected ~%d), "
              "collider %d\n",
              trials, chain, trials / 10, collider);
  // Binomial(60, 0.1): mean 6, P(X > 14) < 0.002.
  EXPECT_LE(chain, 14);
  EXPECT_GE(collider, trials - 3);
}

}  // namespace mipp::info
