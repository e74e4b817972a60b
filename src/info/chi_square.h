// The chi-square distribution's tail, from the regularised incomplete gamma function, and the
// likelihood-ratio test of "(conditional) MI > 0" that the gaussian and linear estimators share.
#pragma once

#include <cstdint>

#include "mipp/info/estimator.h"

namespace mipp::info {

// Regularised lower and upper incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x).
// REQUIRES: a > 0, x >= 0 (else Error(kInvalidArgument)).
double regularized_gamma_p(double a, double x);
double regularized_gamma_q(double a, double x);

// P(X >= x) for X ~ chi-square with `dof` > 0 degrees of freedom: Q(dof / 2, x / 2); 1 for x <= 0.
double chi_square_survival(double x, double dof);

// log P(X >= x), exact where P(X >= x) underflows a double (the continued fraction is summed in
// logs): log 1e-400 is about -921. 0 for x <= 0, -infinity for x = +infinity.
double log_chi_square_survival(double x, double dof);

// Asymptotic standard error of a Gaussian (conditional) MI estimate by the delta method over the
// canonical correlations: sqrt(sum r_i^2 / n_eff + dx dy / (2 n_eff^2)), with sum_r2 the sum of the
// squared canonical correlations (clamped at 0 against rounding) and n_eff = n - dz.
double canonical_std_error(double sum_r2, double n_eff, int64_t dx, int64_t dy);

// Likelihood-ratio test of I(X; Y | Z) = 0 for jointly Gaussian X [dx], Y [dy], Z [dz] from n
// samples, given the plug-in (maximum-likelihood) estimate `cmi_plugin` in nats.
// -2 log(likelihood ratio) = 2 n CMI -> chi-square(dx * dy) under H0 (Wilks 1938). We use Bartlett's
// multiplier instead of n, which makes the chi-square approximation accurate to O(1/n^2) for
// moderate n (Bartlett 1938; Mardia, Kent & Bibby 1979, ch. 10: the test that all canonical
// correlations being zero); conditioning on Z removes dz degrees of freedom (partial correlations):
//   statistic = 2 (n - 1 - dz - (dx + dy + 1) / 2) * cmi_plugin,   p = chi_square_survival(statistic, dx*dy).
// significant when 1 - p >= confidence. dx or dy of 0 gives statistic 0, p 1.
TestResult likelihood_ratio_test(double cmi_plugin, int64_t n, int64_t dx, int64_t dy, int64_t dz, double confidence);

}  // namespace mipp::info
