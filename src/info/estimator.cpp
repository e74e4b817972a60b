#include "mipp/info/estimator.h"

#include <cmath>

#include "info/checks.h"

namespace mipp::info {

Estimate Estimator::mutual_information(const at::Tensor& x, const at::Tensor& y) {
  return conditional_mutual_information(x, y, at::Tensor());
}

TestResult Estimator::test_positive_cmi(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                                        double confidence) {
  check_confidence(name(), confidence);
  const Estimate e = z.defined() ? conditional_mutual_information(x, y, z) : mutual_information(x, y);
  TestResult r;
  if (e.std_error > 0) {
    r.statistic = e.value / e.std_error;
    r.p_value = 0.5 * std::erfc(r.statistic / std::sqrt(2.0));  // 1 - Phi(statistic)
  } else {
    // No spread: the estimate is exact, so it is positive or it is not.
    r.statistic = e.value > 0 ? INFINITY : 0;
    r.p_value = e.value > 0 ? 0 : 1;
  }
  r.significant = 1 - r.p_value >= confidence;
  return r;
}

}  // namespace mipp::info
