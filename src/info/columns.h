// Standardised columns without the constant ones: the form in which the gaussian and linear
// estimators use their inputs.
//
// Both are invariant to rescaling a column (MI is invariant to invertible maps of each variable),
// so standardising costs nothing and makes their ridge/regularisation relative to unit variance.
// A constant column carries no information — I(X, c; Y) = I(X; Y) — but would make every
// covariance singular; dead ReLU units are constant, so dropping them is the common case, not an
// error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::info {

struct StandardizedColumns {
  at::Tensor data;            // [n, kept.size()] float64, each column mean 0 and variance 1 (divisor n)
  std::vector<int64_t> kept;  // indices of the non-constant input columns, ascending
};

// `t` [n, d] float64 CPU; undefined gives an empty result. A column is constant when its maximum
// equals its minimum (exactly: rounding noise of a mean must not make a constant look variable).
StandardizedColumns standardize_columns(const at::Tensor& t);

// Per unit, the positions among `c.kept` of its columns (`units[u]`: columns of the original
// [n, columns] matrix, disjoint); a constant column has none, so a dead unit gets no columns.
// Throws Error(kInvalidArgument), prefixed with `context`, for a column out of range or in two units.
std::vector<std::vector<int64_t>> unit_positions(const std::string& context, const StandardizedColumns& c,
                                                 int64_t columns, const std::vector<std::vector<int64_t>>& units);

// "x column 3" for kept column `j` of argument `what`, for error messages.
std::string column_label(const char* what, const StandardizedColumns& c, int64_t j);

}  // namespace mipp::info
