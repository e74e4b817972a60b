#include "mipp/info/linear_proxy.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/cholesky_inverse.h>
#include <ATen/ops/cholesky_solve.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/eye.h>
#include <ATen/ops/outer.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/cholesky.h"
#include "info/chi_square.h"
#include "info/columns.h"
#include "mipp/util/error.h"

namespace mipp::info {

// ---- LinearProxy --------------------------------------------------------------------------------

LinearProxy::LinearProxy(const at::Tensor& x, const at::Tensor& y, double ridge) {
  MIPP_CHECK(ridge >= 0 && std::isfinite(ridge), kInvalidArgument, "linear proxy: ridge {}: must be finite and >= 0",
             ridge);
  const at::Tensor xd = check_sample_matrix("linear proxy", "x", x, -1, 0);
  const at::Tensor yd = check_sample_matrix("linear proxy", "y", y, xd.size(0), 1);
  samples_ = xd.size(0);
  MIPP_CHECK(samples_ >= 2, kInvalidArgument, "linear proxy: {} samples, needs at least 2", samples_);
  const int64_t d = xd.size(1);
  const at::Tensor xc = xd - xd.mean(0, /*keepdim=*/true);
  const at::Tensor yc = yd - yd.mean(0, /*keepdim=*/true);
  const at::Tensor gram = xc.t().mm(xc) + static_cast<double>(samples_) * ridge * at::eye(d, xc.options());
  const Cholesky c = checked_cholesky(gram, /*strict=*/ridge == 0);
  const int64_t k = c.dependent_column + 1;
  MIPP_CHECK(k == 0, kNumerical,
             "linear proxy: x column {} is constant or a linear combination of the columns before it; "
             "use ridge > 0",
             k - 1);
  inverse_gram_ = d > 0 ? at::cholesky_inverse(c.l) : at::zeros({0, 0}, xc.options());
  const at::Tensor cross = xc.t().mm(yc);  // X^T Y [d, m]
  coefficients_ = inverse_gram_.mm(cross);
  scatter_ = yc.t().mm(yc) - cross.t().mm(coefficients_);
  scatter_ = 0.5 * (scatter_ + scatter_.t());  // symmetric up to rounding; make it exactly so
  active_.resize(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) active_[static_cast<size_t>(j)] = j;
}

int64_t LinearProxy::position(int64_t i) const {
  const auto it = std::find(active_.begin(), active_.end(), i);
  MIPP_CHECK(it != active_.end(), kInvalidArgument,
             "linear proxy: input {} is not active (never an input, or removed; {} inputs left)", i, active_.size());
  return it - active_.begin();
}

double LinearProxy::loss() const {
  return scatter_.trace().item<double>() / static_cast<double>(samples_ * scatter_.size(0));
}

double LinearProxy::loss_without(int64_t i) const {
  const int64_t p = position(i);
  const double h_pp = inverse_gram_[p][p].item<double>();
  const double increase = coefficients_[p].pow(2).sum().item<double>() / h_pp;
  return (scatter_.trace().item<double>() + increase) / static_cast<double>(samples_ * scatter_.size(0));
}

std::vector<double> LinearProxy::losses_without() const {
  if (active_.empty()) return {};
  const double base = scatter_.trace().item<double>();
  const at::Tensor increase = coefficients_.pow(2).sum(1) / inverse_gram_.diagonal();
  const at::Tensor losses = ((increase + base) / static_cast<double>(samples_ * scatter_.size(0))).contiguous();
  return {losses.data_ptr<double>(), losses.data_ptr<double>() + losses.numel()};
}

void LinearProxy::remove(int64_t i) {
  const int64_t p = position(i);
  const double h_pp = inverse_gram_[p][p].item<double>();
  const at::Tensor b_p = coefficients_[p].clone();  // [m]
  std::vector<int64_t> keep;
  for (int64_t j = 0; j < static_cast<int64_t>(active_.size()); ++j) {
    if (j != p) keep.push_back(j);
  }
  const at::Tensor index = at::tensor(keep, at::kLong);
  const at::Tensor h = inverse_gram_.select(1, p).index_select(0, index);  // [a - 1]
  scatter_ = scatter_ + at::outer(b_p, b_p) / h_pp;
  inverse_gram_ = inverse_gram_.index_select(0, index).index_select(1, index) - at::outer(h, h) / h_pp;
  coefficients_ = coefficients_.index_select(0, index) - at::outer(h, b_p) / h_pp;
  active_.erase(active_.begin() + p);
}

// ---- the linear estimator -----------------------------------------------------------------------

namespace {

constexpr const char* kName = "linear";

struct Analysis {
  int64_t dx = 0, dy = 0, dz = 0;  // after dropping constant columns
  double value = 0;                // nats
  double canonical_r2 = 0;         // sum of squared canonical correlations of x, y given z
};

Analysis analyze(const CheckedInputs& in, const LinearOptions& o) {
  const StandardizedColumns sx = standardize_columns(in.x), sy = standardize_columns(in.y),
                            sz = standardize_columns(in.z);
  Analysis a;
  a.dx = static_cast<int64_t>(sx.kept.size());
  a.dy = static_cast<int64_t>(sy.kept.size());
  a.dz = static_cast<int64_t>(sz.kept.size());
  if (a.dx == 0 || a.dy == 0) return a;  // a constant carries no information
  const int64_t n = in.n();
  const at::Tensor z = a.dz > 0 ? sz.data : at::empty({n, 0}, sx.data.options());
  const LinearProxy reduced(z, sy.data, o.ridge);
  const LinearProxy full(at::cat({z, sx.data}, 1), sy.data, o.ridge);
  const at::Tensor ridge = o.ridge * at::eye(a.dy, sy.data.options());
  // Residual covariances of y given z, and given x and z.
  const at::Tensor cov_reduced = reduced.residual_scatter() / static_cast<double>(n) + ridge;
  const at::Tensor cov_full = full.residual_scatter() / static_cast<double>(n) + ridge;
  const bool strict = o.ridge == 0;
  const Cholesky reduced_chol = checked_cholesky(cov_reduced, strict);
  // y that x explains exactly: its residual variance is tiny next to its variance given z alone.
  const Cholesky full_chol = checked_cholesky(cov_full, strict, cov_reduced.diagonal());
  const at::Tensor& l_reduced = reduced_chol.l;
  const at::Tensor& l_full = full_chol.l;
  MIPP_CHECK(reduced_chol.dependent_column < 0 && full_chol.dependent_column < 0, kNumerical,
             "{}: residual covariance of y is singular: y has collinear columns or is an exact linear function of "
             "x{}; set ridge > 0",
             kName, a.dz > 0 ? " and z" : "");
  a.value = l_reduced.diagonal().log().sum().item<double>() - l_full.diagonal().log().sum().item<double>();
  // sum_i r_i^2 = tr(I - S_res(y|z)^-1 S_res(y|x,z)): the canonical correlations of x and y given z.
  a.canonical_r2 =
      static_cast<double>(a.dy) - at::cholesky_solve(cov_full, l_reduced).trace().item<double>();
  return a;
}

class LinearEstimator final : public Estimator {
 public:
  explicit LinearEstimator(LinearOptions o) : o_(o) {}

  std::string_view name() const override { return kName; }

  Estimate conditional_mutual_information(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) override {
    return estimate(x, y, z);
  }

  TestResult test_positive_cmi(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                               double confidence) override {
    check_confidence(kName, confidence);
    const CheckedInputs in = check_inputs_with_dimension(kName, x, y, z);
    const Analysis a = analyze(in, o_);
    return likelihood_ratio_test(a.value, in.n(), a.dx, a.dy, a.dz, confidence);
  }

 private:
  Estimate estimate(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) {
    const CheckedInputs in = check_inputs_with_dimension(kName, x, y, z);
    const Analysis a = analyze(in, o_);
    const auto n_eff = static_cast<double>(in.n() - a.dz);
    Estimate e;
    e.value = a.value;
    e.std_error = canonical_std_error(a.canonical_r2, n_eff, a.dx, a.dy);
    e.samples = in.n();
    MIPP_CHECK(std::isfinite(e.value) && std::isfinite(e.std_error), kNumerical,
               "{}: estimate is {} (std error {}) for {} samples", kName, e.value, e.std_error, in.n());
    return e;
  }

  LinearOptions o_;
};

}  // namespace

void validate(const LinearOptions& o) {
  MIPP_CHECK(o.ridge >= 0 && std::isfinite(o.ridge), kInvalidArgument, "linear ridge {}: must be finite and >= 0",
             o.ridge);
}

void to_json(nlohmann::json& j, const LinearOptions& o) { j = {{"ridge", o.ridge}}; }

void from_json(const nlohmann::json& j, LinearOptions& o) { o.ridge = j.value("ridge", o.ridge); }

std::unique_ptr<Estimator> make_linear_estimator(const LinearOptions& o) {
  validate(o);
  return std::make_unique<LinearEstimator>(o);
}

}  // namespace mipp::info
