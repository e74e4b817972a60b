#include "prune/methods/mipp/target_components.h"

#include <torch/torch.h>

namespace mipp::prune::mipp_method {

at::Tensor leading_components(const at::Tensor& y, int64_t components) {
  if (y.size(1) <= components) return y;
  const at::Tensor y64 = y.to(torch::kFloat64);
  const at::Tensor centered = y64 - y64.mean(0, true);
  const at::Tensor scale = centered.pow(2).mean(0, true).sqrt();
  const at::Tensor z = centered / torch::where(scale > 0, scale, torch::ones_like(scale));  // constant columns stay 0
  at::Tensor scores, variances;
  if (z.size(0) <= z.size(1)) {
    // Sample-space Gram Z Z^T = U diag(s^2) U^T: the scores are U s.
    auto [values, vectors] = torch::linalg_eigh(z.mm(z.t()));
    variances = values.clamp_min(0);
    scores = vectors * variances.sqrt().unsqueeze(0);
  } else {
    auto [values, vectors] = torch::linalg_eigh(z.t().mm(z));
    variances = values.clamp_min(0);
    scores = z.mm(vectors);
  }
  // eigh sorts ascending: the leading components are the last ones.
  const int64_t total = variances.size(0);
  const double largest = variances[total - 1].item<double>();
  int64_t r = 0;
  while (r < components && r < total && variances[total - 1 - r].item<double>() > 1e-10 * largest) ++r;
  return scores.narrow(1, total - r, r).flip(1).to(torch::kFloat32).contiguous();
}

}  // namespace mipp::prune::mipp_method
