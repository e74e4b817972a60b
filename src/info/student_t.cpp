#include "info/student_t.h"

#include <cmath>
#include <limits>

#include "mipp/util/error.h"

namespace mipp::info {

namespace {

// Numerical Recipes in C, 2nd ed. (Press et al. 1992), §6.4: I_x(a, b) = prefactor * cf / a with the
// continued fraction cf (betacf, modified Lentz), which converges fast for x < (a + 1) / (a + b + 2);
// above that, the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) is used. Iterations grow like
// sqrt(max(a, b)); for the t-test a = dof / 2 <= ~10^3 and b = 1/2.
constexpr int kMaxIterations = 100000;
constexpr double kEps = 1e-15;
constexpr double kTiny = 1e-300;

double log_beta_function(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// Arguments of I_x(a, b) given as x, y = 1 - x and their logs, so that a caller who knows them better
// than 1 - x or log(x) would (t^2 / (dof + t^2); log x for a t whose square overflows) loses nothing.
struct BetaPoint {
  double x, y, log_x, log_y;
  BetaPoint swapped() const { return {y, x, log_y, log_x}; }
};

// log(x^a (1-x)^b / (a B(a, b))) + log cf(a, b, x).
double log_beta_continued_fraction(double a, double b, const BetaPoint& p) {
  const double x = p.x;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m < kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) {
      return a * p.log_x + b * p.log_y - log_beta_function(a, b) - std::log(a) + std::log(h);
    }
  }
  MIPP_FAIL(kNumerical, "incomplete beta I_{}({}, {}): continued fraction did not converge", x, a, b);
}

void check_arguments(double a, double b, double x) {
  MIPP_CHECK(a > 0 && std::isfinite(a), kInvalidArgument, "incomplete beta: a = {} must be positive", a);
  MIPP_CHECK(b > 0 && std::isfinite(b), kInvalidArgument, "incomplete beta: b = {} must be positive", b);
  MIPP_CHECK(x >= 0 && x <= 1, kInvalidArgument, "incomplete beta: x = {} must be in [0, 1]", x);
}

BetaPoint point(double x) { return {x, 1 - x, std::log(x), std::log1p(-x)}; }

double log_beta_at(double a, double b, const BetaPoint& p) {
  if (p.log_x == -std::numeric_limits<double>::infinity()) return p.log_x;
  if (p.log_y == -std::numeric_limits<double>::infinity()) return 0;
  if (p.x < (a + 1) / (a + b + 2)) return log_beta_continued_fraction(a, b, p);
  return std::log1p(-std::exp(log_beta_continued_fraction(b, a, p.swapped())));
}

}  // namespace

double regularized_beta(double a, double b, double x) {
  check_arguments(a, b, x);
  return std::exp(log_beta_at(a, b, point(x)));
}

double log_regularized_beta(double a, double b, double x) {
  check_arguments(a, b, x);
  return log_beta_at(a, b, point(x));
}

double student_t_survival(double t, double dof) { return std::exp(log_student_t_survival(t, dof)); }

double log_student_t_survival(double t, double dof) {
  MIPP_CHECK(dof > 0, kInvalidArgument, "Student t: {} degrees of freedom, must be positive", dof);
  MIPP_CHECK(!std::isnan(t), kNumerical, "Student t: statistic is NaN");
  if (t == 0) return std::log(0.5);
  if (std::isinf(t)) return t > 0 ? -std::numeric_limits<double>::infinity() : 0.0;
  // P(|T| >= |t|) = I_x(dof/2, 1/2) with x = dof / (dof + t^2) (Abramowitz & Stegun 26.5.27 / 26.7.1).
  // Beyond |t| = 1e100, t^2 may overflow: there x = dof / t^2 to double precision, in logs.
  BetaPoint p;
  if (std::fabs(t) < 1e100) {
    const double t2 = t * t;
    p = {dof / (dof + t2), t2 / (dof + t2), 0, 0};
    p.log_x = std::log(p.x);
    p.log_y = std::log(p.y);
  } else {
    p.log_x = std::log(dof) - 2 * std::log(std::fabs(t));
    p.x = std::exp(p.log_x);
    p.y = 1;
    p.log_y = -p.x;
  }
  const double log_two_sided = log_beta_at(dof / 2, 0.5, p);
  if (t > 0) return std::log(0.5) + log_two_sided;
  return std::log1p(-0.5 * std::exp(log_two_sided));
}

OneSidedTTest one_sided_t_test(const std::vector<double>& values) {
  const auto r = static_cast<double>(values.size());
  MIPP_CHECK(values.size() >= 2, kInvalidArgument, "t-test: {} values, needs at least 2", values.size());
  OneSidedTTest t;
  for (double v : values) {
    MIPP_CHECK(std::isfinite(v), kNumerical, "t-test: value {} is not finite", v);
    t.mean += v / r;
  }
  double squares = 0;
  for (double v : values) squares += (v - t.mean) * (v - t.mean);
  t.std_error = std::sqrt(squares / (r - 1) / r);
  if (t.std_error > 0) {
    t.statistic = t.mean / t.std_error;
    t.log_p_value = log_student_t_survival(t.statistic, r - 1);
  } else if (t.mean > 0) {
    t.statistic = std::numeric_limits<double>::infinity();
    t.log_p_value = -std::numeric_limits<double>::infinity();
  }
  return t;
}

}  // namespace mipp::info
