#include "info/cholesky.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/linalg_cholesky_ex.h>

namespace mipp::info {

Cholesky checked_cholesky(const at::Tensor& a, bool strict, const at::Tensor& reference) {
  Cholesky c;
  if (a.size(0) == 0) {
    c.l = a.clone();
    return c;
  }
  auto [l, info] = at::linalg_cholesky_ex(a);
  c.l = l;
  const int64_t failed = info.item<int64_t>();  // 1-based order of the failing leading minor, or 0
  if (failed > 0) {
    c.dependent_column = failed - 1;
    return c;
  }
  if (strict) {
    const at::Tensor small = (l.diagonal().pow(2) < 1e-12 * (reference.defined() ? reference : a.diagonal())).nonzero();
    if (small.size(0) > 0) c.dependent_column = small[0][0].item<int64_t>();
  }
  return c;
}

}  // namespace mipp::info
