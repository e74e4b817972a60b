// Estimator: the one interface of mipp's information estimators (gaussian, linear, and later ksg
// and mlp). MIPP (Westphal, Hailes, Musolesi, arXiv 2411.00147, §4.2-4.3) asks two questions of an
// estimator: how much a set of upstream units tells about the downstream layer, I(X; Y), and
// whether a unit still adds information given the others, I(X; Y | Z) > 0, decided by a one-sided
// test at a confidence level.
//
// Inputs: x [n, dx], y [n, dy], z [n, dz]; rows are samples, columns are variables (units).
// float32 or float64 on any device; estimators copy them to the CPU and compute in float64.
// Every estimate is in nats. Errors (mipp::Error, message naming the argument at fault):
//   kInvalidArgument  not 2-D, other dtype, row counts differ, too few samples for the dimension;
//   kNumerical        NaN or infinite entries ("x column 3 has NaN"), or a singular problem that
//                     the estimator's options do not regularise.
#pragma once

#include <cstdint>
#include <string_view>

#include <ATen/core/Tensor.h>

namespace mipp::info {

struct Estimate {
  double value = 0;      // the estimate, nats
  double std_error = 0;  // asymptotic standard error of `value` (each estimator says which), nats
  int64_t samples = 0;   // n, the number of rows used
};

// Outcome of the one-sided test "CMI > 0" (or "MI > 0" when z is undefined).
struct TestResult {
  double statistic = 0;      // the test statistic; each estimator documents its null distribution
  double p_value = 1;        // P(statistic >= observed | CMI = 0)
  bool significant = false;  // 1 - p_value >= confidence: CMI > 0 is accepted
};

class Estimator {
 public:
  virtual ~Estimator() = default;

  // Id used by the CLI and reports: "gaussian", "linear", ...
  virtual std::string_view name() const = 0;

  // I(x; y), nats. The default is the conditional estimate with no z.
  virtual Estimate mutual_information(const at::Tensor& x, const at::Tensor& y);

  // I(x; y | z), nats. A z with no columns gives I(x; y).
  virtual Estimate conditional_mutual_information(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) = 0;

  // One-sided test of H1: I(x; y | z) > 0 against H0: I(x; y | z) = 0 at `confidence` in (0.5, 1);
  // z may be undefined (plain MI). MIPP keeps a unit when the test is significant.
  // The default is a z-test on the estimate: statistic = value / std_error, p = 1 - Phi(statistic)
  // — right only as far as the estimate is asymptotically normal and unbiased at 0; estimators with
  // an exact or likelihood-ratio null distribution override it.
  virtual TestResult test_positive_cmi(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                                       double confidence);
};

}  // namespace mipp::info
