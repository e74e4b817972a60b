#include "mipp/info/estimator.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "mipp/info/gaussian.h"
#include "mipp/info/linear_proxy.h"
#include "support/expect_error.h"

namespace mipp::info {

namespace {

// Returns a fixed estimate, to check the default test.
class FixedEstimator final : public Estimator {
 public:
  explicit FixedEstimator(Estimate e) : e_(e) {}
  std::string_view name() const override { return "fixed"; }
  Estimate mutual_information(const at::Tensor&, const at::Tensor&) override { return e_; }
  Estimate conditional_mutual_information(const at::Tensor&, const at::Tensor&, const at::Tensor&) override {
    return e_;
  }

 private:
  Estimate e_;
};

}  // namespace

TEST(Estimator, DefaultTestIsOneSidedZTestOnTheEstimate) {
  const at::Tensor x = at::zeros({10, 1});
  FixedEstimator two_se({0.2, 0.1, 10});
  const TestResult r = two_se.test_positive_cmi(x, x, at::Tensor(), 0.95);
  EXPECT_DOUBLE_EQ(r.statistic, 2.0);
  EXPECT_NEAR(r.p_value, 0.02275013195, 1e-10);  // 1 - Phi(2)
  EXPECT_TRUE(r.significant);
  EXPECT_FALSE(two_se.test_positive_cmi(x, x, x, 0.99).significant);
  FixedEstimator negative({-0.1, 0.1, 10});
  EXPECT_NEAR(negative.test_positive_cmi(x, x, x, 0.6).p_value, 0.8413447461, 1e-10);
  FixedEstimator exact({0.3, 0.0, 10});
  EXPECT_TRUE(exact.test_positive_cmi(x, x, x, 0.99).significant);
  mipp::testing::expect_error([&] { two_se.test_positive_cmi(x, x, x, 1.0); }, ErrorKind::kInvalidArgument,
                              {"fixed", "confidence 1"});
}

TEST(EstimatorOptions, JsonRoundTripKeepsDefaultsOfAbsentFields) {
  GaussianOptions g;
  g.shrinkage = "ledoit-wolf";
  g.regularization = 1e-6;
  GaussianOptions back = nlohmann::json(g).get<GaussianOptions>();
  EXPECT_EQ(back.shrinkage, "ledoit-wolf");
  EXPECT_EQ(back.regularization, 1e-6);
  EXPECT_TRUE(back.bias_correction);
  const GaussianOptions partial = nlohmann::json{{"bias_correction", false}}.get<GaussianOptions>();
  EXPECT_EQ(partial.shrinkage, "none");
  EXPECT_FALSE(partial.bias_correction);
  EXPECT_EQ(nlohmann::json(LinearOptions{0.5}).get<LinearOptions>().ridge, 0.5);
  EXPECT_EQ(nlohmann::json::object().get<LinearOptions>().ridge, LinearOptions{}.ridge);
}

}  // namespace mipp::info
