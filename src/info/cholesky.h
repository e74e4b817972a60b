// Cholesky factorisation that says which column made a covariance (numerically) singular, so the
// estimators' errors can name it.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace mipp::info {

struct Cholesky {
  at::Tensor l;                  // lower factor of a [d, d] (undefined-content when dependent_column >= 0)
  int64_t dependent_column = -1; // first column not independent of the columns before it, or -1
};

// Factorises the symmetric matrix `a` [d, d]. Column k is dependent when the factorisation fails
// at k or, when `strict`, when its pivot l_kk^2 < 1e-12 reference_k: less than 1e-12 of its
// reference variance is left after regressing it on the columns before it. The reference
// [d] defaults to a's diagonal; a conditional covariance passes the unconditional variances, so
// a column that the conditioning variables explain exactly also counts as dependent. Rounding leaves exactly collinear columns
// such tiny positive pivots, so without `strict` they pass; callers use strict when they add no
// regularisation of their own.
Cholesky checked_cholesky(const at::Tensor& a, bool strict, const at::Tensor& reference = {});

}  // namespace mipp::info
