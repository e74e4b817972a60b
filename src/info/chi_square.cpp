#include "info/chi_square.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mipp/util/error.h"

namespace mipp::info {

namespace {

// Numerical Recipes in C, 2nd ed. (Press et al. 1992), §6.2: the series (gser) converges fast for
// x < a + 1, the continued fraction (gcf, modified Lentz) for x >= a + 1. Iterations grow like
// sqrt(a); the cap is far above what dx * dy / 2 up to ~10^6 needs.
constexpr int kMaxIterations = 1000000;
constexpr double kEps = 1e-15;
constexpr double kTiny = 1e-300;

// log(e^-x x^a / Gamma(a)), the common prefactor, in logs to avoid overflow.
double log_prefactor(double a, double x) { return -x + a * std::log(x) - std::lgamma(a); }
double prefactor(double a, double x) { return std::exp(log_prefactor(a, x)); }

// P(a, x) by the series  e^-x x^a / Gamma(a) * sum_k x^k / (a (a+1) ... (a+k)).
double series_p(double a, double x) {
  double ap = a, term = 1.0 / a, sum = term;
  for (int k = 0; k < kMaxIterations; ++k) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * kEps) return sum * prefactor(a, x);
  }
  MIPP_FAIL(kNumerical, "incomplete gamma P({}, {}): series did not converge", a, x);
}

// log Q(a, x) by the continued fraction  e^-x x^a / Gamma(a) * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))).
double log_continued_fraction_q(double a, double x) {
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i < kMaxIterations; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) return std::log(h) + log_prefactor(a, x);
  }
  MIPP_FAIL(kNumerical, "incomplete gamma Q({}, {}): continued fraction did not converge", a, x);
}

double continued_fraction_q(double a, double x) { return std::exp(log_continued_fraction_q(a, x)); }

void check_arguments(double a, double x) {
  MIPP_CHECK(a > 0 && std::isfinite(a), kInvalidArgument, "incomplete gamma: a = {} must be positive", a);
  MIPP_CHECK(x >= 0 && !std::isnan(x), kInvalidArgument, "incomplete gamma: x = {} must be >= 0", x);
}

}  // namespace

double regularized_gamma_p(double a, double x) {
  check_arguments(a, x);
  if (x == 0) return 0;
  if (std::isinf(x)) return 1;
  return x < a + 1 ? series_p(a, x) : 1 - continued_fraction_q(a, x);
}

double regularized_gamma_q(double a, double x) {
  check_arguments(a, x);
  if (x == 0) return 1;
  if (std::isinf(x)) return 0;
  return x < a + 1 ? 1 - series_p(a, x) : continued_fraction_q(a, x);
}

double chi_square_survival(double x, double dof) {
  MIPP_CHECK(dof > 0, kInvalidArgument, "chi-square: {} degrees of freedom, must be positive", dof);
  if (x <= 0) return 1;
  return regularized_gamma_q(dof / 2, x / 2);
}

double log_chi_square_survival(double x, double dof) {
  MIPP_CHECK(dof > 0, kInvalidArgument, "chi-square: {} degrees of freedom, must be positive", dof);
  if (x <= 0) return 0;
  if (std::isinf(x)) return -std::numeric_limits<double>::infinity();
  const double a = dof / 2, half = x / 2;
  return half < a + 1 ? std::log1p(-series_p(a, half)) : log_continued_fraction_q(a, half);
}

double canonical_std_error(double sum_r2, double n_eff, int64_t dx, int64_t dy) {
  return std::sqrt(std::max(sum_r2, 0.0) / n_eff + static_cast<double>(dx * dy) / (2 * n_eff * n_eff));
}

TestResult likelihood_ratio_test(double cmi_plugin, int64_t n, int64_t dx, int64_t dy, int64_t dz, double confidence) {
  TestResult r;
  if (dx == 0 || dy == 0) return r;
  const double multiplier = static_cast<double>(n) - 1 - dz - (dx + dy + 1) / 2.0;
  MIPP_CHECK(multiplier > 0, kInvalidArgument,
             "likelihood-ratio test: {} samples are too few for dx = {}, dy = {}, dz = {}", n, dx, dy, dz);
  // A plug-in estimate is >= 0 up to rounding; clamp so the statistic is a valid chi-square value.
  r.statistic = 2 * multiplier * std::max(cmi_plugin, 0.0);
  r.p_value = chi_square_survival(r.statistic, static_cast<double>(dx * dy));
  r.significant = 1 - r.p_value >= confidence;
  return r;
}

}  // namespace mipp::info
