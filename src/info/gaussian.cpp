#include "mipp/info/gaussian.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/eye.h>
#include <ATen/ops/linalg_solve_triangular.h>
#include <ATen/ops/ones.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/cholesky.h"
#include "info/chi_square.h"
#include "info/columns.h"
#include "mipp/util/error.h"

namespace mipp::info {

namespace {

constexpr const char* kName = "gaussian";

// digamma(x), x > 0: the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 6, then the asymptotic
// series ln x - 1/2x - sum_k B_2k / (2k x^2k) (Abramowitz & Stegun 6.3.18); error < 1e-12 there.
double digamma(double x) {
  double r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

// Psi(d) = sum_{i=1..d} digamma((nu - i + 1) / 2): E[log det A] - log det Sigma - d log 2 for a
// Wishart(Sigma, nu) matrix A of size d (see GaussianOptions::bias_correction). REQUIRES nu >= d.
double wishart_log_det_offset(int64_t d, int64_t nu) {
  double s = 0;
  for (int64_t i = 1; i <= d; ++i) s += digamma(static_cast<double>(nu - i + 1) / 2);
  return s;
}

// Lower Cholesky factor of the symmetric matrix `a`. A failure at leading minor k means column k
// is (up to rounding) a linear combination of the columns before it: we name it.
// Strict (no regularisation): pivots are compared with 1, the variance of a standardised column,
// so a column that z explains exactly is caught in the conditional covariance too.
at::Tensor factor(const at::Tensor& a, const std::vector<std::string>& labels, bool strict) {
  const Cholesky c = checked_cholesky(a, strict, at::ones({a.size(0)}, a.options()));
  const int64_t k = c.dependent_column + 1;
  MIPP_CHECK(k == 0, kNumerical,
             "{}: singular covariance: {} is a linear combination of the columns before it (order x, y, z); "
             "set regularization > 0",
             kName, labels[static_cast<size_t>(k - 1)]);
  return c.l;
}

double log_det_from_cholesky(const at::Tensor& l) {
  return l.size(0) == 0 ? 0.0 : 2 * l.diagonal().log().sum().item<double>();
}

// Ledoit & Wolf (2004) shrinkage intensity towards mu I for the covariance R = W^T W / n of the
// centred samples W [n, p], as in sklearn.covariance.ledoit_wolf_shrinkage (see GaussianOptions).
double ledoit_wolf_intensity(const at::Tensor& w, const at::Tensor& r) {
  const auto n = static_cast<double>(w.size(0));
  const auto p = static_cast<double>(w.size(1));
  const double trace = r.trace().item<double>();
  const double mu = trace / p;
  const at::Tensor w2 = w * w;
  const double sum_fourth = w2.t().mm(w2).sum().item<double>();  // sum_k |w_k|^4
  const double r_norm2 = r.pow(2).sum().item<double>();          // |R|_F^2
  const double d2 = (r_norm2 - 2 * mu * trace + p * mu * mu) / p;
  const double b2 = std::min((sum_fourth / n - r_norm2) / (p * n), d2);
  return d2 <= 0 ? 0.0 : std::max(b2, 0.0) / d2;
}

struct Analysis {
  int64_t dx = 0, dy = 0, dz = 0;  // after dropping constant columns
  double plugin = 0;               // maximum-likelihood (or shrunk) estimate, nats
  double value = 0;                // plugin, bias-corrected when asked
  double canonical_r2 = 0;         // sum of squared sample canonical correlations of x, y given z
};

Analysis analyze(const CheckedInputs& in, const GaussianOptions& o, bool shrink) {
  const StandardizedColumns sx = standardize_columns(in.x), sy = standardize_columns(in.y),
                            sz = standardize_columns(in.z);
  Analysis a;
  a.dx = static_cast<int64_t>(sx.kept.size());
  a.dy = static_cast<int64_t>(sy.kept.size());
  a.dz = static_cast<int64_t>(sz.kept.size());
  if (a.dx == 0 || a.dy == 0) return a;  // a constant carries no information
  std::vector<std::string> labels;       // of the joint columns, in x, y, z order
  for (int64_t j = 0; j < a.dx; ++j) labels.push_back(column_label("x", sx, j));
  for (int64_t j = 0; j < a.dy; ++j) labels.push_back(column_label("y", sy, j));
  std::vector<std::string> z_labels;
  for (int64_t j = 0; j < a.dz; ++j) z_labels.push_back(column_label("z", sz, j));

  std::vector<at::Tensor> parts = {sx.data, sy.data};
  if (a.dz > 0) parts.push_back(sz.data);
  const at::Tensor w = at::cat(parts, 1);  // [n, p], standardised
  const int64_t n = in.n(), p = w.size(1), dxy = a.dx + a.dy;
  at::Tensor r = w.t().mm(w) / static_cast<double>(n);  // [p, p] correlation matrix
  if (shrink && o.shrinkage == "ledoit-wolf") {
    const double s = ledoit_wolf_intensity(w, r);
    r = (1 - s) * r + s * (r.trace() / static_cast<double>(p)) * at::eye(p, r.options());
  }
  r = r + o.regularization * at::eye(p, r.options());

  const bool strict = o.regularization == 0;  // else the ridge keeps every pivot >= regularization
  // c: covariance of (x, y), given z by the Schur complement R_ab - R_az R_zz^-1 R_za.
  at::Tensor c = r.slice(0, 0, dxy).slice(1, 0, dxy);
  if (a.dz > 0) {
    const at::Tensor lz = factor(r.slice(0, dxy).slice(1, dxy), z_labels, strict);
    const at::Tensor v = at::linalg_solve_triangular(lz, r.slice(0, dxy).slice(1, 0, dxy), /*upper=*/false);
    c = c - v.t().mm(v);
  }
  const at::Tensor cxy = c.slice(0, 0, a.dx).slice(1, a.dx);
  const at::Tensor lx = factor(c.slice(0, 0, a.dx).slice(1, 0, a.dx), labels, strict);
  const at::Tensor ly = factor(c.slice(0, a.dx).slice(1, a.dx),
                                 std::vector<std::string>(labels.begin() + a.dx, labels.end()), strict);
  const at::Tensor l = factor(c, labels, strict);
  a.plugin = 0.5 * (log_det_from_cholesky(lx) + log_det_from_cholesky(ly) - log_det_from_cholesky(l));
  // Whitened cross-covariance Lx^-1 Cxy Ly^-T [dx, dy]: its singular values are the canonical
  // correlations, so its squared Frobenius norm is their sum of squares.
  const at::Tensor k1 = at::linalg_solve_triangular(lx, cxy, /*upper=*/false);
  const at::Tensor k = at::linalg_solve_triangular(ly, k1.t(), /*upper=*/false);
  a.canonical_r2 = k.pow(2).sum().item<double>();

  a.value = a.plugin;
  if (o.bias_correction && o.shrinkage == "none") {
    const int64_t nu = n - 1 - a.dz;
    a.value -= 0.5 * (wishart_log_det_offset(a.dx, nu) + wishart_log_det_offset(a.dy, nu) -
                      wishart_log_det_offset(dxy, nu));
  }
  return a;
}

class GaussianEstimator final : public Estimator {
 public:
  explicit GaussianEstimator(GaussianOptions o) : o_(std::move(o)) {}

  std::string_view name() const override { return kName; }

  Estimate conditional_mutual_information(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) override {
    return estimate(x, y, z);
  }

  TestResult test_positive_cmi(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                               double confidence) override {
    check_confidence(kName, confidence);
    const CheckedInputs in = check_inputs_with_dimension(kName, x, y, z);
    const Analysis a = analyze(in, o_, /*shrink=*/false);
    return likelihood_ratio_test(a.plugin, in.n(), a.dx, a.dy, a.dz, confidence);
  }

 private:
  Estimate estimate(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) {
    const CheckedInputs in = check_inputs_with_dimension(kName, x, y, z);
    const Analysis a = analyze(in, o_, /*shrink=*/true);
    const auto n_eff = static_cast<double>(in.n() - a.dz);
    Estimate e;
    e.value = a.value;
    e.std_error = canonical_std_error(a.canonical_r2, n_eff, a.dx, a.dy);
    e.samples = in.n();
    MIPP_CHECK(std::isfinite(e.value) && std::isfinite(e.std_error), kNumerical,
               "{}: estimate is {} (std error {}) for {} samples", kName, e.value, e.std_error, in.n());
    return e;
  }

  GaussianOptions o_;
};

}  // namespace

void validate(const GaussianOptions& o) {
  MIPP_CHECK(o.shrinkage == "none" || o.shrinkage == "ledoit-wolf", kInvalidArgument,
             "gaussian shrinkage '{}': use none or ledoit-wolf", o.shrinkage);
  MIPP_CHECK(o.regularization >= 0 && std::isfinite(o.regularization), kInvalidArgument,
             "gaussian regularization {}: must be finite and >= 0", o.regularization);
}

void to_json(nlohmann::json& j, const GaussianOptions& o) {
  j = {{"shrinkage", o.shrinkage}, {"bias_correction", o.bias_correction}, {"regularization", o.regularization}};
}

void from_json(const nlohmann::json& j, GaussianOptions& o) {
  o.shrinkage = j.value("shrinkage", o.shrinkage);
  o.bias_correction = j.value("bias_correction", o.bias_correction);
  o.regularization = j.value("regularization", o.regularization);
}

std::unique_ptr<Estimator> make_gaussian_estimator(const GaussianOptions& o) {
  validate(o);
  return std::make_unique<GaussianEstimator>(o);
}

}  // namespace mipp::info
