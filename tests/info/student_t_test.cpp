#include "info/student_t.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mipp/util/error.h"
#include "support/expect_error.h"

namespace mipp::info {

using mipp::testing::expect_error;

TEST(StudentT, MatchesTabulatedQuantiles) {
  // Tables of Student's t (e.g. Abramowitz & Stegun, Table 26.10), rounded to 3 decimals.
  EXPECT_NEAR(2 * student_t_survival(2.776, 4), 0.05, 1e-4);  // two-sided 5%, 4 dof
  EXPECT_NEAR(student_t_survival(1.812, 10), 0.05, 1e-4);     // one-sided 5%, 10 dof
  EXPECT_NEAR(student_t_survival(3.747, 4), 0.01, 2e-5);      // one-sided 1%, 4 dof
  EXPECT_NEAR(student_t_survival(1.96, 1e7), 0.025, 1e-5);    // the normal limit
}

TEST(StudentT, MatchesClosedFormsForOneAndTwoDof) {
  for (double t : {-3.0, -0.5, 0.0, 0.1, 1.0, 7.5}) {
    // 1 dof (Cauchy): 1/2 - atan(t)/pi; 2 dof: 1/2 (1 - t / sqrt(t^2 + 2)).
    EXPECT_NEAR(student_t_survival(t, 1), 0.5 - std::atan(t) / M_PI, 1e-13) << t;
    EXPECT_NEAR(student_t_survival(t, 2), 0.5 * (1 - t / std::sqrt(t * t + 2)), 1e-13) << t;
  }
}

TEST(StudentT, LogSurvivalIsExactFarInTheTail) {
  // Where the p-value underflows: 1 dof, p = atan(1/t)/pi ~ 1/(pi t); 2 dof, p ~ 1/(2 t^2).
  EXPECT_NEAR(log_student_t_survival(1e200, 1), -std::log(M_PI) - 200 * std::log(10.0), 1e-9);
  EXPECT_NEAR(log_student_t_survival(1e10, 2), std::log(0.5) - 20 * std::log(10.0), 1e-9);
  EXPECT_NEAR(log_student_t_survival(1e80, 4), std::log(student_t_survival(1e20, 4)) - 240 * std::log(10.0), 1e-6);
  EXPECT_EQ(log_student_t_survival(INFINITY, 4), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(log_student_t_survival(-INFINITY, 4), 0.0);
}

TEST(StudentT, RegularizedBetaMatchesBinomialSums) {
  // I_x(a, b) for integers = P(Binomial(a + b - 1, x) >= a): I_0.5(2, 3) = 11/16, I_0.3(1, 1) = 0.3.
  EXPECT_NEAR(regularized_beta(2, 3, 0.5), 11.0 / 16, 1e-14);
  EXPECT_NEAR(regularized_beta(1, 1, 0.3), 0.3, 1e-14);
  EXPECT_NEAR(regularized_beta(3, 2, 0.9), 1 - regularized_beta(2, 3, 0.1), 1e-14);
  EXPECT_EQ(regularized_beta(2, 3, 0), 0.0);
  EXPECT_EQ(regularized_beta(2, 3, 1), 1.0);
  expect_error([] { regularized_beta(0, 1, 0.5); }, ErrorKind::kInvalidArgument, {"a = 0"});
  expect_error([] { regularized_beta(1, 1, 1.5); }, ErrorKind::kInvalidArgument, {"x = 1.5"});
  expect_error([] { student_t_survival(1, 0); }, ErrorKind::kInvalidArgument, {"0 degrees of freedom"});
}

TEST(StudentT, OneSidedTTestOnRepeats) {
  // 1..5: mean 3, sd sqrt(2.5), std error 1/sqrt(2), t = 3 sqrt(2), 4 dof.
  const OneSidedTTest t = one_sided_t_test({1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(t.mean, 3);
  EXPECT_NEAR(t.std_error, std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(t.statistic, 3 * std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(t.log_p_value, std::log(student_t_survival(3 * std::sqrt(2.0), 4)), 1e-12);
  // No spread: decided by the sign of the mean.
  EXPECT_EQ(one_sided_t_test({0.5, 0.5}).log_p_value, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(one_sided_t_test({0.0, 0.0, 0.0}).log_p_value, 0.0);
  EXPECT_EQ(one_sided_t_test({-1.0, -1.0}).statistic, 0.0);
  expect_error([] { one_sided_t_test({1.0}); }, ErrorKind::kInvalidArgument, {"1 values"});
  expect_error([] { one_sided_t_test({1.0, NAN}); }, ErrorKind::kNumerical, {"not finite"});
}

}  // namespace mipp::info
