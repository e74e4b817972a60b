#include "info/checks.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/isnan.h>
#include <fmt/ranges.h>

#include "mipp/util/error.h"

namespace mipp::info {

at::Tensor check_sample_matrix(std::string_view estimator, std::string_view what, const at::Tensor& t, int64_t rows,
                               int64_t min_columns) {
  MIPP_CHECK(t.defined(), kInvalidArgument, "{}: {} is an undefined tensor", estimator, what);
  MIPP_CHECK(t.dim() == 2, kInvalidArgument, "{}: {} has shape [{}], expected [n, d] (rows are samples)",
             estimator, what, fmt::join(t.sizes(), ", "));
  MIPP_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, kInvalidArgument,
             "{}: {} has dtype {}, expected float32 or float64", estimator, what, c10::toString(t.scalar_type()));
  MIPP_CHECK(t.size(1) >= min_columns, kInvalidArgument, "{}: {} has {} columns, needs at least {}", estimator, what,
             t.size(1), min_columns);
  MIPP_CHECK(rows < 0 || t.size(0) == rows, kInvalidArgument, "{}: {} has {} rows, x has {}: rows are samples",
             estimator, what, t.size(0), rows);
  at::Tensor d = t.to(at::kCPU, at::kDouble).contiguous();
  // Per-column flags [d]; only on failure do we look for the first bad column.
  const at::Tensor bad = (~at::isfinite(d)).any(0);
  if (bad.any().item<bool>()) {
    const int64_t column = bad.nonzero()[0][0].item<int64_t>();
    const bool nan = at::isnan(d.select(1, column)).any().item<bool>();
    MIPP_FAIL(kNumerical, "{}: {} column {} has {}", estimator, what, column, nan ? "NaN" : "an infinite value");
  }
  return d;
}

CheckedInputs check_inputs(std::string_view estimator, const at::Tensor& x, const at::Tensor& y,
                           const at::Tensor& z) {
  CheckedInputs in;
  in.x = check_sample_matrix(estimator, "x", x, -1, 1);
  MIPP_CHECK(in.x.size(0) >= 1, kInvalidArgument, "{}: x has no rows", estimator);
  in.y = check_sample_matrix(estimator, "y", y, in.n(), 1);
  if (z.defined() && !(z.dim() == 2 && z.size(1) == 0)) in.z = check_sample_matrix(estimator, "z", z, in.n(), 1);
  return in;
}

CheckedInputs check_inputs_with_dimension(std::string_view estimator, const at::Tensor& x, const at::Tensor& y,
                                          const at::Tensor& z) {
  CheckedInputs in = check_inputs(estimator, x, y, z);
  check_samples_for_dimension(estimator, in);
  return in;
}

void check_samples_for_dimension(std::string_view estimator, const CheckedInputs& in) {
  const int64_t dims = in.dx() + in.dy() + in.dz();
  MIPP_CHECK(in.n() > dims + 1, kInvalidArgument,
             "{}: {} samples are too few for dx + dy + dz = {} dimensions: need n > {}", estimator, in.n(), dims,
             dims + 1);
}

void check_confidence(std::string_view estimator, double confidence) {
  MIPP_CHECK(confidence > 0.5 && confidence < 1, kInvalidArgument, "{}: confidence {}: must be in (0.5, 1)",
             estimator, confidence);
}

}  // namespace mipp::info
