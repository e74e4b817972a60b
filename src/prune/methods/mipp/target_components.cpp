#include "prune/methods/mipp/target_components.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/linalg_eigh.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/where.h>

namespace mipp::prune::mipp_method {

at::Tensor leading_components(const at::Tensor& y, int64_t components, bool standardise) {
  if (y.size(1) <= components) return y;
  const at::Tensor y64 = y.to(at::kDouble);
  const at::Tensor centered = y64 - y64.mean(0, true);
  const at::Tensor scale = centered.pow(2).mean(0, true).sqrt();
  const at::Tensor z =
      standardise ? centered / at::where(scale > 0, scale, at::ones_like(scale)) : centered;  // constant columns stay 0
  at::Tensor scores, variances;
  if (z.size(0) <= z.size(1)) {
    // Sample-space Gram Z Z^T = U diag(s^2) U^T: the scores are U s.
    auto [values, vectors] = at::linalg_eigh(z.mm(z.t()));
    variances = values.clamp_min(0);
    scores = vectors * variances.sqrt().unsqueeze(0);
  } else {
    auto [values, vectors] = at::linalg_eigh(z.t().mm(z));
    variances = values.clamp_min(0);
    scores = z.mm(vectors);
  }
  // eigh sorts ascending: the leading components are the last ones.
  const int64_t total = variances.size(0);
  const double largest = variances[total - 1].item<double>();
  int64_t r = 0;
  while (r < components && r < total && variances[total - 1 - r].item<double>() > 1e-10 * largest) ++r;
  return scores.narrow(1, total - r, r).flip(1).to(at::kFloat).contiguous();
}

}  // namespace mipp::prune::mipp_method
