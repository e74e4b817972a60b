#include "info/chi_square.h"

#include <gtest/gtest.h>

#include <cmath>

#include "mipp/util/error.h"
#include "support/expect_error.h"

namespace mipp::info {

TEST(ChiSquare, SurvivalAtTabulatedCriticalValues) {
  // Upper 5% and 1% points from standard chi-square tables.
  EXPECT_NEAR(chi_square_survival(3.841459, 1), 0.05, 1e-7);
  EXPECT_NEAR(chi_square_survival(6.634897, 1), 0.01, 1e-7);
  EXPECT_NEAR(chi_square_survival(18.307038, 10), 0.05, 1e-7);
  EXPECT_NEAR(chi_square_survival(124.342113, 100), 0.05, 1e-7);
  EXPECT_NEAR(chi_square_survival(10, 10), 0.4404932851, 1e-9);  // 10 degrees of freedom at the mean
}

TEST(ChiSquare, TwoDegreesOfFreedomIsExponential) {
  for (double x : {0.01, 0.5, 2.0, 3.0, 7.5, 40.0, 300.0}) {
    EXPECT_NEAR(chi_square_survival(x, 2) / std::exp(-x / 2), 1.0, 1e-12) << "x = " << x;
  }
}

TEST(ChiSquare, GammaPOfOneHalfIsErf) {
  // P(1/2, x) = erf(sqrt(x)): the chi-square(1) CDF at 2x. Both branches (x < 1.5 and x >= 1.5).
  for (double x : {1e-6, 0.3, 1.4, 1.6, 4.0, 20.0}) {
    EXPECT_NEAR(regularized_gamma_p(0.5, x), std::erf(std::sqrt(x)), 1e-13) << "x = " << x;
    EXPECT_NEAR(regularized_gamma_p(0.5, x) + regularized_gamma_q(0.5, x), 1.0, 1e-14);
  }
}

TEST(ChiSquare, LargeDegreesOfFreedomNearTheMean) {
  // chi-square(k) is ~ N(k, 2k) for large k: the survival at the mean is a little below 1/2
  // (the median is ~ k (1 - 2/9k)^3).
  const double p = chi_square_survival(32768, 32768);
  EXPECT_GT(p, 0.49);
  EXPECT_LT(p, 0.5);
}

TEST(ChiSquare, EdgesAndBadArguments) {
  EXPECT_EQ(chi_square_survival(0, 3), 1.0);
  EXPECT_EQ(chi_square_survival(-1, 3), 1.0);
  EXPECT_EQ(regularized_gamma_q(2, INFINITY), 0.0);
  mipp::testing::expect_error([] { chi_square_survival(1, 0); }, ErrorKind::kInvalidArgument, {"degrees of freedom"});
  mipp::testing::expect_error([] { regularized_gamma_p(-1, 1); }, ErrorKind::kInvalidArgument, {"a = -1"});
  mipp::testing::expect_error([] { regularized_gamma_q(1, NAN); }, ErrorKind::kInvalidArgument, {"x = nan"});
}

TEST(LikelihoodRatioTest, UsesBartlettMultiplierAndProductOfDimensions) {
  // n = 100, dx = 2, dy = 3, dz = 4: multiplier 100 - 1 - 4 - 3 = 92, 6 degrees of freedom.
  const TestResult r = likelihood_ratio_test(0.05, 100, 2, 3, 4, 0.95);
  EXPECT_NEAR(r.statistic, 2 * 92 * 0.05, 1e-12);
  EXPECT_NEAR(r.p_value, chi_square_survival(9.2, 6), 1e-15);
  EXPECT_FALSE(r.significant);  // chi-square(6) 5% point is 12.59
  EXPECT_TRUE(likelihood_ratio_test(0.08, 100, 2, 3, 4, 0.95).significant);  // 14.72
  const TestResult none = likelihood_ratio_test(0.5, 100, 0, 3, 0, 0.95);
  EXPECT_EQ(none.p_value, 1.0);
  EXPECT_FALSE(none.significant);
}

}  // namespace mipp::info
