// The gaussian estimator: MI and CMI of jointly Gaussian variables from sample covariances,
//   I(X; Y)     = 1/2 [log det Sx + log det Sy - log det S(x,y)]
//   I(X; Y | Z) = 1/2 [log det S(x,z) + log det S(y,z) - log det Sz - log det S(x,y,z)]
// (Cover & Thomas 2006, eq. 8.56 and the chain rule). Exact for Gaussians; for other data it
// measures only linear dependence (a lower bound on MI when Y is Gaussian given its mean).
//
// How it computes (float64, on the CPU):
//   1. constant columns are dropped (they carry no information), the rest standardised, so the
//      covariances are correlation matrices and `regularization` is relative to unit variance;
//   2. optional Ledoit-Wolf shrinkage of the joint correlation matrix of (x, y, z);
//   3. `regularization` is added to its diagonal; conditioning on z takes the Schur complement
//      S(x,y)|z, whose log-det form above is the same number (log det S(x,z) = log det Sz +
//      log det Sx|z);
//   4. log-dets from Cholesky factors.
//
// std_error (delta method): the plug-in MI is -1/2 sum_i log(1 - r_i^2) over the sample canonical
// correlations r_i of x and y (given z); each r_i has asymptotic variance (1 - rho_i^2)^2 / n and
// they are asymptotically independent (Anderson 2003, ch. 12), so var(MI) ~ sum_i rho_i^2 / n. That
// is 0 at independence, where the estimate is chi-square(dx dy) / 2n with variance dx dy / 2n^2, so
// we add that term: std_error = sqrt(sum_i r_i^2 / n' + dx dy / (2 n'^2)), n' = n - dz.
//
// test_positive_cmi: the likelihood-ratio test (Wilks, with Bartlett's multiplier; see
// src/info/chi_square.h) on the plug-in estimate without shrinkage, whatever `shrinkage` says:
// the chi-square null holds for the maximum-likelihood estimate only.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/info/estimator.h"

namespace mipp::info {

struct GaussianOptions {
  // Affect results:
  // "none": the sample covariance. "ledoit-wolf": the joint correlation matrix R of the
  // standardised (x, y, z) shrunk towards the identity (the scaled identity mu I of standardised
  // variables, mu = tr(R) / p = 1), R* = (1 - s) R + s I, with Ledoit & Wolf's (2004, J. Multivar.
  // Anal. 88) consistent intensity s = min(b2, d2) / d2, d2 = |R - I|^2,
  // b2 = 1/n^2 sum_k |w_k w_k^T - R|^2 (|A|^2 = tr(A A^T) / p), as sklearn.covariance.ledoit_wolf.
  // Shrinkage mixes in independent noise, so it can only lower the estimate (data processing):
  // use it when n is not much larger than dx + dy + dz and the sample covariance is ill-conditioned.
  // Default "none": with bias_correction it is unbiased for Gaussians, and our tests (n >= 2000,
  // d <= 16) find it within 0.01 nats where Ledoit-Wolf is biased low.
  std::string shrinkage = "none";
  // Subtract the exact bias of the plug-in estimate for Gaussian data (shrinkage "none" only):
  // the scatter matrix A of d variables is Wishart(Sigma, nu = n - 1) and
  // E[log det A] = log det Sigma + d log 2 + sum_{i=1..d} digamma((nu - i + 1) / 2)
  // (Misra, Singh & Demchuk 2005, J. Multivar. Anal. 92), so
  //   MI_unbiased = MI_plugin - 1/2 [Psi(dx) + Psi(dy) - Psi(dx + dy)],  Psi(d) = sum_{i<=d} digamma((nu-i+1)/2),
  // with nu = n - 1 - dz given z. The bias is ~ dx dy / 2n: 0.016 nats for dx = dy = 8, n = 2000.
  // The corrected estimate can be slightly negative when the true value is 0; clamping would
  // bias it again, so it is not clamped.
  bool bias_correction = true;
  // Added to the diagonal of the correlation matrix, >= 0: keeps collinear columns (duplicated
  // units, y = a linear function of x) from making the covariance singular. A duplicated column then
  // adds nothing (its log-det terms cancel), and an exactly linear x -> y gives a large finite MI,
  // ~ 1/2 log(1 / regularization) per dependent direction (~10 nats), not infinity. 1e-9 is far
  // above float64 rounding of a correlation (~1e-16) and far below any real variance. With 0, a
  // singular covariance throws Error(kNumerical) naming the first collinear column.
  double regularization = 1e-9;
};

// Throws Error(kInvalidArgument) naming the field and value.
void validate(const GaussianOptions& o);

// JSON with the field names above; from_json keeps the defaults of absent fields.
void to_json(nlohmann::json& j, const GaussianOptions& o);
void from_json(const nlohmann::json& j, GaussianOptions& o);

// Validates `o`, then returns the estimator; name() is "gaussian".
std::unique_ptr<Estimator> make_gaussian_estimator(const GaussianOptions& o = {});

}  // namespace mipp::info
