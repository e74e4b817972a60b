// Input checks shared by all estimators, so every estimator rejects the same inputs with the same
// messages (see include/mipp/info/estimator.h for the contract).
#pragma once

#include <cstdint>
#include <string_view>

#include <ATen/core/Tensor.h>

namespace mipp::info {

// x, y and z as float64 CPU contiguous tensors; z is undefined when the caller gave none (or one
// with no columns), so `dz() == 0` means plain MI.
struct CheckedInputs {
  at::Tensor x, y, z;
  int64_t n() const { return x.size(0); }
  int64_t dx() const { return x.size(1); }
  int64_t dy() const { return y.size(1); }
  int64_t dz() const { return z.defined() ? z.size(1) : 0; }
};

// Checks one [n, d] argument `what` ("x") for `context` (an estimator's name): 2-D, float32 or
// float64, `rows` rows (any when rows < 0), at least `min_columns` columns, finite entries.
// Returns it as float64 CPU contiguous.
at::Tensor check_sample_matrix(std::string_view context, std::string_view what, const at::Tensor& t, int64_t rows,
                               int64_t min_columns);

// Checks that x, y and (when defined) z are 2-D float32/float64 with at least one column and the
// same number of rows, and that every entry is finite. `estimator` prefixes the messages.
// Throws Error(kInvalidArgument) for shapes and dtypes, Error(kNumerical) for NaN/Inf, e.g.
// "gaussian: x column 3 has NaN".
CheckedInputs check_inputs(std::string_view estimator, const at::Tensor& x, const at::Tensor& y,
                           const at::Tensor& z);

// Throws Error(kInvalidArgument) unless n > dx + dy + dz + 1: fewer samples leave a (conditional)
// covariance or a regression's residuals without degrees of freedom.
void check_samples_for_dimension(std::string_view estimator, const CheckedInputs& in);

// check_inputs() then check_samples_for_dimension(): the inputs of the covariance-based
// estimators (gaussian, linear).
CheckedInputs check_inputs_with_dimension(std::string_view estimator, const at::Tensor& x, const at::Tensor& y,
                                          const at::Tensor& z);

// Throws Error(kInvalidArgument) unless 0.5 < confidence < 1.
void check_confidence(std::string_view estimator, double confidence);

}  // namespace mipp::info
