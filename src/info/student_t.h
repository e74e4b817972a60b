// Student's t distribution's upper tail, from the regularised incomplete beta function, in linear
// and log space: the null distribution of the paired t-test that the mlp estimator runs on its R
// per-repeat loss differences.
#pragma once

#include <vector>

namespace mipp::info {

// Regularised incomplete beta function I_x(a, b) and log I_x(a, b).
// REQUIRES: a > 0, b > 0, 0 <= x <= 1 (else Error(kInvalidArgument)).
double regularized_beta(double a, double b, double x);
double log_regularized_beta(double a, double b, double x);

// P(T >= t) for T ~ Student t with `dof` > 0 degrees of freedom; 1/2 at t = 0, 0 at t = +infinity.
double student_t_survival(double t, double dof);

// log P(T >= t), exact where P(T >= t) underflows a double (the continued fraction is summed with a
// log prefactor): with dof 4, t = 1e80 gives about -736. -infinity for t = +infinity.
double log_student_t_survival(double t, double dof);

// One-sided one-sample t-test of H1: E[d] > 0 on R values d (e.g. paired differences of per-repeat
// losses): mean, std_error = sd / sqrt(R) (sd with divisor R - 1), statistic = mean / std_error and
// log p = log P(T_{R-1} >= statistic). With sd = 0 the values agree exactly: statistic = +inf and
// log p = -inf when the mean is > 0, else statistic = 0 and log p = 0 (p = 1).
// REQUIRES: R >= 2 and finite values (else Error(kInvalidArgument) / Error(kNumerical)).
struct OneSidedTTest {
  double mean = 0, std_error = 0, statistic = 0, log_p_value = 0;
};
OneSidedTTest one_sided_t_test(const std::vector<double>& values);

}  // namespace mipp::info
