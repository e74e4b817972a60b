#include "mipp/info/gaussian.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "info/gaussian_samples.h"
#include "mipp/util/error.h"
#include "support/expect_error.h"

namespace mipp::info {

namespace {

using mipp::testing::expect_error;
using namespace mipp::info::testing;

std::unique_ptr<Estimator> gaussian(const std::string& shrinkage = "none", bool bias_correction = true,
                                    double regularization = 1e-9) {
  GaussianOptions o;
  o.shrinkage = shrinkage;
  o.bias_correction = bias_correction;
  o.regularization = regularization;
  return make_gaussian_estimator(o);
}

}  // namespace

TEST(GaussianEstimator, MatchesAnalyticMiOfCorrelatedGaussians) {
  // (dx, dy, n, strength): strength ~ 2 MI; n and strength keep the estimator's own spread
  // (~ sqrt(2 MI / n) = sqrt(strength / n)) at or below 1/3 of the 0.01-nat tolerance.
  const std::vector<MiCase> cases = {{1, 1, 2000, 0.02}, {1, 1, 20000, 0.3}, {2, 3, 20000, 0.2}, {4, 4, 20000, 0.2},
                                     {8, 8, 20000, 0.2},  {1, 8, 20000, 0.2},  {8, 2, 10000, 0.1}};
  expect_analytic_mi(*gaussian(), cases, 0.01);
}

TEST(GaussianEstimator, AnalyticMiOfTheTestCovarianceIsHalfLogDet) {
  // The helper's construction: I = 1/2 log det(I + s^2 W W^T) regardless of the mixings, so
  // analytic_mi (from the covariance blocks) must agree with the strength it was built from.
  const at::Tensor t = random_joint_map(1, 1, 0.3, 7);
  const double w = (t[1][0] / t[1][1]).item<double>();  // s W for 1-D
  EXPECT_NEAR(analytic_mi(t.mm(t.t()), 1), 0.5 * std::log(1 + w * w), 1e-12);
}

TEST(GaussianEstimator, BiasCorrectionRemovesPluginBiasAtIndependence) {
  // dx = dy = 8, n = 2000: the plug-in is biased by ~ 64 / 4000 = 0.016 nats, more than the
  // 0.01 tolerance above; the corrected estimate is unbiased.
  const auto corrected = gaussian("none", true), plugin = gaussian("none", false);
  double sum_corrected = 0, sum_plugin = 0;
  const int trials = 20;
  for (int t = 0; t < trials; ++t) {
    const at::Tensor x = at::randn({2000, 8}, generator(t, "x"), at::kDouble);
    const at::Tensor y = at::randn({2000, 8}, generator(t, "y"), at::kDouble);
    sum_corrected += corrected->mutual_information(x, y).value;
    sum_plugin += plugin->mutual_information(x, y).value;
  }
  std::printf("gaussian independence 8x8 n=2000: mean plug-in %.5f, mean corrected %.5f\n", sum_plugin / trials,
              sum_corrected / trials);
  EXPECT_NEAR(sum_plugin / trials, 64.0 / (2 * 1999), 0.003);
  EXPECT_NEAR(sum_corrected / trials, 0.0, 0.002);
}

TEST(GaussianEstimator, StdErrorMatchesSpreadOverSeeds) {
  const at::Tensor t = random_joint_map(2, 2, 0.4, 11);
  const auto e = gaussian();
  std::vector<double> values;
  double mean_se = 0;
  const int trials = 40;
  for (int s = 0; s < trials; ++s) {
    const at::Tensor xy = sample_linear_map(t, 1000, 100 + s);
    const Estimate est = e->mutual_information(xy.slice(1, 0, 2), xy.slice(1, 2));
    values.push_back(est.value);
    mean_se += est.std_error / trials;
  }
  const at::Tensor v = at::tensor(values, at::kDouble);
  const double spread = v.std().item<double>();
  std::printf("gaussian 2x2 n=1000: sd over seeds %.4f, mean std_error %.4f\n", spread, mean_se);
  EXPECT_GT(mean_se, 0.7 * spread);
  EXPECT_LT(mean_se, 1.4 * spread);
}

TEST(GaussianEstimator, LedoitWolfOnlyLowersTheEstimate) {
  // Shrinkage mixes in independent noise, so it cannot raise MI; it is what makes it biased low.
  const at::Tensor t = random_joint_map(8, 8, 0.4, 5);
  const double truth = analytic_mi(t.mm(t.t()), 8);
  const auto plugin = gaussian("none", false), shrunk = gaussian("ledoit-wolf");
  for (int64_t n : {40, 200, 2000}) {
    const at::Tensor xy = sample_linear_map(t, n, 3);
    const double p = plugin->mutual_information(xy.slice(1, 0, 8), xy.slice(1, 8)).value;
    const double s = shrunk->mutual_information(xy.slice(1, 0, 8), xy.slice(1, 8)).value;
    std::printf("gaussian 8x8 n=%lld: MI %.4f, plug-in %.4f, ledoit-wolf %.4f\n", static_cast<long long>(n), truth, p,
                s);
    EXPECT_LE(s, p + 1e-12);
    EXPECT_GE(s, 0.0);
  }
}

TEST(GaussianEstimator, DecidesChainAndColliderAt95Percent) {
  const auto e = gaussian();
  for (int64_t d : {1, 2}) {
    const int chain_positive = count_significant(*e, 40, 0.95, [&](uint64_t s) { return chain(400, d, s); });
    const int collider_positive = count_significant(*e, 40, 0.95, [&](uint64_t s) { return collider(400, d, s); });
    std::printf("gaussian d=%lld: chain X->Z->Y declared dependent %d/40, collider X->Z<-Y %d/40\n",
                static_cast<long long>(d), chain_positive, collider_positive);
    // A test at level 5% rejects a true null in 2 of 40 trials on average; P(<= 4 of 40) = 0.95.
    EXPECT_LE(chain_positive, 4);
    EXPECT_GE(collider_positive, 38);
  }
}

TEST(GaussianEstimator, FalsePositiveRateIsNominal) {
  const auto e = gaussian();
  const int positives =
      count_significant(*e, 100, 0.95, [](uint64_t s) { return independent(300, 2, 2, 2, 1000 + s); });
  std::printf("gaussian independence given z: false positives %d/100 at 95%% confidence\n", positives);
  // 5% +- 3 standard errors (sqrt(0.05 * 0.95 / 100) = 2.2%).
  EXPECT_LE(positives, 11);
  // And the estimate itself is ~0 there.
  const Triple s = independent(300, 2, 2, 2, 999);
  EXPECT_NEAR(e->conditional_mutual_information(s.x, s.y, s.z).value, 0.0, 0.03);
}

TEST(GaussianEstimator, ConstantColumnsCarryNothing) {
  const at::Tensor t = random_joint_map(2, 2, 0.4, 5);
  const at::Tensor xy = sample_linear_map(t, 500, 3);
  const at::Tensor x = xy.slice(1, 0, 2), y = xy.slice(1, 2);
  const at::Tensor x_dead = at::cat({x, at::full({500, 1}, 0.1, at::kDouble)}, 1);  // a dead unit
  const auto e = gaussian();
  EXPECT_NEAR(e->mutual_information(x_dead, y).value, e->mutual_information(x, y).value, 1e-12);
  EXPECT_DOUBLE_EQ(e->test_positive_cmi(x_dead, y, at::Tensor(), 0.95).statistic,
                   e->test_positive_cmi(x, y, at::Tensor(), 0.95).statistic);
  // All of x constant: MI 0 and nothing significant.
  const at::Tensor dead = at::zeros({500, 3}, at::kDouble);
  const Estimate none = e->mutual_information(dead, y);
  EXPECT_EQ(none.value, 0.0);
  EXPECT_EQ(none.std_error, 0.0);
  EXPECT_FALSE(e->test_positive_cmi(dead, y, at::Tensor(), 0.95).significant);
  // A constant z conditions on nothing.
  EXPECT_NEAR(e->conditional_mutual_information(x, y, dead).value, e->mutual_information(x, y).value, 1e-12);
}

TEST(GaussianEstimator, DuplicatedColumnAddsNothingAndExactDependenceIsFinite) {
  const at::Tensor t = random_joint_map(2, 2, 0.4, 5);
  const at::Tensor xy = sample_linear_map(t, 500, 3);
  const at::Tensor x = xy.slice(1, 0, 2), y = xy.slice(1, 2);
  const auto e = gaussian("none", false);
  const at::Tensor x_twice = at::cat({x, x.slice(1, 0, 1)}, 1);
  EXPECT_NEAR(e->mutual_information(x_twice, y).value, e->mutual_information(x, y).value, 1e-6);
  // y = x exactly: infinite in theory; a large finite number here (~ 1/2 log(1/1e-9) per column).
  const Estimate same = e->mutual_information(x, 3 * x + 1);
  EXPECT_TRUE(std::isfinite(same.value));
  EXPECT_GT(same.value, 10.0);
  EXPECT_TRUE(e->test_positive_cmi(x, 3 * x + 1, at::Tensor(), 0.95).significant);
}

TEST(GaussianEstimator, WithoutRegularizationSingularCovarianceNamesTheColumn) {
  const at::Tensor xy = sample_linear_map(random_joint_map(2, 2, 0.4, 5), 500, 3);
  const at::Tensor x = xy.slice(1, 0, 2), y = xy.slice(1, 2);
  const auto e = gaussian("none", true, 0.0);
  const at::Tensor x_dependent = at::cat({x, x.slice(1, 0, 1) - 2 * x.slice(1, 1, 2)}, 1);
  expect_error([&] { e->mutual_information(x_dependent, y); }, ErrorKind::kNumerical,
               {"gaussian", "x column 2", "regularization"});
  expect_error([&] { e->conditional_mutual_information(y, y.slice(1, 0, 1), x_dependent); }, ErrorKind::kNumerical,
               {"z column 2"});
}

TEST(GaussianEstimator, RejectsBadInputsNamingTheArgument) {
  const at::Tensor x = at::randn({50, 4}, generator(1, "x"), at::kDouble);
  const at::Tensor y = at::randn({50, 2}, generator(1, "y"), at::kDouble);
  const auto e = gaussian();
  at::Tensor x_nan = x.clone();
  x_nan[7][3] = NAN;
  expect_error([&] { e->mutual_information(x_nan, y); }, ErrorKind::kNumerical, {"gaussian", "x column 3 has NaN"});
  at::Tensor y_inf = y.clone();
  y_inf[0][1] = -INFINITY;
  expect_error([&] { e->mutual_information(x, y_inf); }, ErrorKind::kNumerical, {"y column 1 has an infinite value"});
  expect_error([&] { e->conditional_mutual_information(x, y, x_nan); }, ErrorKind::kNumerical, {"z column 3 has NaN"});
  expect_error([&] { e->mutual_information(x.slice(0, 0, 6), y.slice(0, 0, 6)); }, ErrorKind::kInvalidArgument,
               {"6 samples", "need n > 7"});
  expect_error([&] { e->mutual_information(x, y.slice(0, 0, 40)); }, ErrorKind::kInvalidArgument,
               {"y has 40 rows, x has 50"});
  expect_error([&] { e->mutual_information(x.flatten(), y); }, ErrorKind::kInvalidArgument, {"x has shape [200]"});
  expect_error([&] { e->mutual_information(x.to(at::kLong), y); }, ErrorKind::kInvalidArgument, {"x has dtype Long"});
  expect_error([&] { e->test_positive_cmi(x, y, at::Tensor(), 0.4); }, ErrorKind::kInvalidArgument,
               {"confidence 0.4"});
  expect_error([] { gaussian("oracle"); }, ErrorKind::kInvalidArgument, {"shrinkage 'oracle'"});
  expect_error([] { gaussian("none", true, -1); }, ErrorKind::kInvalidArgument, {"regularization -1"});
}

TEST(GaussianEstimator, Float32InputGivesTheFloat64Estimate) {
  const at::Tensor xy = sample_linear_map(random_joint_map(3, 2, 0.4, 5), 1000, 3).to(at::kFloat);
  const auto e = gaussian();
  EXPECT_NEAR(e->mutual_information(xy.slice(1, 0, 3), xy.slice(1, 3)).value,
              e->mutual_information(xy.slice(1, 0, 3).to(at::kDouble), xy.slice(1, 3).to(at::kDouble)).value, 1e-12);
  EXPECT_EQ(e->name(), "gaussian");
}

}  // namespace mipp::info
