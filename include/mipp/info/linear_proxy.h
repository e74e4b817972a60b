// The linear estimator and LinearProxy: mutual information through the loss of a linear
// predictor, the closed-form stand-in for MIPP's MLP predictor (Westphal et al., §4.2: "lower loss
// means more MI").
//
// Linear estimator ("linear"): regress y on x with ridge regression (intercept by centring) and
//   I(X; Y)     ~ 1/2 [log det Sy - log det S_res(y | x)]
//   I(X; Y | Z) ~ proxy(x and z -> y) - proxy(z -> y) = 1/2 [log det S_res(y | z) - log det S_res(y | x, z)]
// with S_res the residual covariance of y. We use this log-det form rather than the sum over
// targets of 1/2 log(var y_j / residual var y_j): for jointly Gaussian data it is the exact MI for
// any dy (Cover & Thomas 2006, §8.5), while the per-target sum counts information shared by
// correlated targets once per target. With ridge -> 0 it equals the gaussian estimator's plug-in
// value (no bias correction, no shrinkage); it is biased upward by ~ dx dy / 2n (in-sample
// residuals), like that plug-in. Columns are standardised and constant ones dropped first (see
// the gaussian estimator). std_error and test_positive_cmi as in gaussian.h: delta method over the
// canonical correlations, and the likelihood-ratio chi-square test with Bartlett's multiplier on
// this value (the maximum-likelihood estimate when ridge is ~0; with a large ridge the test
// becomes conservative, as the penalised fit explains less).
//
// LinearProxy: the fitted regression itself, with the downdate MIPP's backward elimination needs
// — the loss after removing one input, for every input, without refitting.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include "mipp/info/estimator.h"

namespace mipp::info {

struct LinearOptions {
  // Affect results:
  // Ridge penalty lambda >= 0 on the standardised inputs: the fit minimises
  // 1/n |y - x b|^2 + lambda |b|^2 per target, and lambda I is also added to the residual and
  // target covariances of y (so a y that x predicts exactly gives a large finite MI, as in the
  // gaussian estimator). The default 1e-9 keeps dead (constant) or duplicated units from making the
  // fit singular while changing no real estimate (float64 rounding is ~1e-16); with 0, a singular
  // fit throws Error(kNumerical) naming the column.
  double ridge = 1e-9;
};

// Throws Error(kInvalidArgument) naming the field and value.
void validate(const LinearOptions& o);

// JSON with the field names above; from_json keeps the defaults of absent fields.
void to_json(nlohmann::json& j, const LinearOptions& o);
void from_json(const nlohmann::json& j, LinearOptions& o);

// Validates `o`, then returns the estimator; name() is "linear".
std::unique_ptr<Estimator> make_linear_estimator(const LinearOptions& o = {});

// Ridge regression of targets Y [n, m] on inputs X [n, d] (both centred, so the intercept is
// implicit), kept as the inverse Gram matrix H = (X^T X + n lambda I)^-1 of the active inputs, the
// coefficients B = H X^T Y [d, m] and the penalised residual scatter
//   M = Y^T Y - Y^T X H X^T Y = (Y - X B)^T (Y - X B) + n lambda B^T B   [m, m].
// Removing input i changes them by the block-inverse (Schur complement) identity
//   H' = H_-i,-i - h h^T / H_ii,  B' = B_-i - h b_i^T / H_ii,  M' = M + b_i b_i^T / H_ii
// (h = column i of H without row i, b_i = row i of B; Hager 1989, "Updating the inverse of a
// matrix", SIAM Review 31; the RSS increase b_ij^2 / H_ii is the classic "drop one regressor"
// formula), O(d^2 + d m) instead of an O(n d^2 + d^3) refit.
//
//   LinearProxy p(activations_l, activations_next, 1e-3);
//   for (int64_t i : order) if (p.loss_without(i) <= tolerance) p.remove(i);
class LinearProxy {
 public:
  // x [n, d] (d may be 0), y [n, m], float32 or float64, finite; ridge lambda >= 0 (per sample, as
  // in LinearOptions). Throws Error(kInvalidArgument) for shapes and ridge, Error(kNumerical) for
  // NaN/Inf or, with ridge 0, collinear inputs (naming the first dependent column).
  LinearProxy(const at::Tensor& x, const at::Tensor& y, double ridge = 0);

  // Minimum of the ridge objective, per sample and target:
  //   1/(n m) sum_j (|y_j - x b_j|^2 + n lambda |b_j|^2) = tr(M) / (n m);
  // with ridge 0, the mean squared residual.
  double loss() const;

  // loss() after removing active input `i` (an index into the original columns of x), by the
  // downdate above, without changing the fit: (tr(M) + |b_i|^2 / H_ii) / (n m). O(m).
  double loss_without(int64_t i) const;

  // loss_without() of every active input at once, in the order of active(): one vectorised
  // O(d m) pass, so a greedy elimination pays one call per step, not one per input.
  std::vector<double> losses_without() const;

  // Removes active input `i` (original column index) by the downdate. O(d^2 + d m).
  void remove(int64_t i);

  // Original column indices of the inputs still in the fit, ascending.
  const std::vector<int64_t>& active() const { return active_; }

  // M [m, m], float64: the penalised residual scatter (n times the residual covariance).
  const at::Tensor& residual_scatter() const { return scatter_; }

  int64_t samples() const { return samples_; }

 private:
  int64_t position(int64_t i) const;  // index of input i in active_, or throws

  int64_t samples_ = 0;
  std::vector<int64_t> active_;
  at::Tensor inverse_gram_;  // H [a, a], a = active_.size()
  at::Tensor coefficients_;  // B [a, m]
  at::Tensor scatter_;       // M [m, m]
};

}  // namespace mipp::info
