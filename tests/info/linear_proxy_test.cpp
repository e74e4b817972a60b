#include "mipp/info/linear_proxy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "info/gaussian_samples.h"
#include "mipp/info/gaussian.h"
#include "mipp/util/error.h"
#include "support/expect_error.h"

namespace mipp::info {

namespace {

using mipp::testing::expect_error;
using namespace mipp::info::testing;

// Random regression data: x [n, d] with correlated columns, y [n, m] linear in x plus noise.
struct Regression {
  at::Tensor x, y;
};
Regression regression(int64_t n, int64_t d, int64_t m, uint64_t seed) {
  at::Generator g = generator(seed, "regression");
  const at::Tensor x = at::randn({n, d}, g, at::kDouble).mm(at::randn({d, d}, g, at::kDouble)) + 3;
  const at::Tensor y = x.mm(at::randn({d, m}, g, at::kDouble)) + 2 * at::randn({n, m}, g, at::kDouble);
  return {x, y};
}

// Columns `keep` of x.
at::Tensor columns(const at::Tensor& x, const std::vector<int64_t>& keep) {
  return x.index_select(1, at::tensor(keep, at::kLong));
}

std::unique_ptr<Estimator> linear(double ridge = 1e-9) {
  LinearOptions o;
  o.ridge = ridge;
  return make_linear_estimator(o);
}

}  // namespace

TEST(LinearProxy, LossWithoutMatchesRefitForEveryInput) {
  for (double ridge : {0.0, 0.05}) {
    for (uint64_t seed : {1, 2}) {
      const Regression r = regression(200, 10, 3, seed);
      const LinearProxy p(r.x, r.y, ridge);
      for (int64_t i = 0; i < 10; ++i) {
        std::vector<int64_t> keep;
        for (int64_t j = 0; j < 10; ++j) {
          if (j != i) keep.push_back(j);
        }
        const LinearProxy refit(columns(r.x, keep), r.y, ridge);
        EXPECT_NEAR(p.loss_without(i), refit.loss(), 1e-8) << "ridge " << ridge << " input " << i;
      }
    }
  }
}

TEST(LinearProxy, SuccessiveRemovesMatchRefit) {
  const Regression r = regression(300, 12, 4, 3);
  for (double ridge : {0.0, 0.1}) {
    LinearProxy p(r.x, r.y, ridge);
    std::vector<int64_t> left(12);
    for (int64_t j = 0; j < 12; ++j) left[static_cast<size_t>(j)] = j;
    for (int64_t i : {5, 0, 11, 6, 2, 9}) {
      p.remove(i);
      left.erase(std::find(left.begin(), left.end(), i));
      EXPECT_EQ(p.active(), left);
      const LinearProxy refit(columns(r.x, left), r.y, ridge);
      EXPECT_NEAR(p.loss(), refit.loss(), 1e-8) << "after removing " << i;
      EXPECT_TRUE(at::allclose(p.residual_scatter(), refit.residual_scatter(), 1e-9, 1e-8));
      const std::vector<double> all = p.losses_without();
      ASSERT_EQ(all.size(), left.size());
      for (size_t k = 0; k < left.size(); ++k) {
        const int64_t j = left[k];
        std::vector<int64_t> without = left;
        without.erase(std::find(without.begin(), without.end(), j));
        EXPECT_NEAR(p.loss_without(j), LinearProxy(columns(r.x, without), r.y, ridge).loss(), 1e-8);
        EXPECT_NEAR(all[k], p.loss_without(j), 1e-12) << "losses_without() differs from loss_without()";
      }
    }
    EXPECT_GE(p.loss(), LinearProxy(r.x, r.y, ridge).loss());  // fewer inputs never fit better
  }
}

TEST(LinearProxy, NoInputsLeavesTheTargetVariance) {
  const Regression r = regression(100, 2, 2, 4);
  LinearProxy p(r.x, r.y);
  p.remove(1);
  p.remove(0);
  EXPECT_TRUE(p.active().empty());
  // Mean over targets of the population variance.
  EXPECT_NEAR(p.loss(), r.y.var(0, /*unbiased=*/false).mean().item<double>(), 1e-10);
  EXPECT_NEAR(LinearProxy(at::empty({100, 0}, at::kDouble), r.y).loss(), p.loss(), 1e-10);
}

TEST(LinearProxy, RejectsInactiveInputsAndSingularFits) {
  const Regression r = regression(100, 3, 1, 5);
  LinearProxy p(r.x, r.y);
  p.remove(1);
  expect_error([&] { p.loss_without(1); }, ErrorKind::kInvalidArgument, {"input 1 is not active"});
  expect_error([&] { p.remove(7); }, ErrorKind::kInvalidArgument, {"input 7"});
  const at::Tensor dependent = at::cat({r.x, r.x.slice(1, 0, 1) + r.x.slice(1, 2, 3)}, 1);
  expect_error([&] { LinearProxy(dependent, r.y); }, ErrorKind::kNumerical, {"x column 3", "ridge > 0"});
  EXPECT_NO_THROW(LinearProxy(dependent, r.y, 1e-9));
  expect_error([&] { LinearProxy(r.x, r.y, -1); }, ErrorKind::kInvalidArgument, {"ridge -1"});
  at::Tensor y_nan = r.y.clone();
  y_nan[3][0] = NAN;
  expect_error([&] { LinearProxy(r.x, y_nan); }, ErrorKind::kNumerical, {"y column 0 has NaN"});
}

TEST(LinearEstimator, MatchesAnalyticMiOfCorrelatedGaussians) {
  // 1-D y, where the proxy is the exact MI, and multi-dimensional y through the log-det form.
  const std::vector<MiCase> cases = {{1, 1, 2000, 0.02}, {1, 1, 20000, 0.3}, {4, 1, 20000, 0.3}, {8, 1, 20000, 0.3},
                                     {8, 1, 2000, 0.01},  {3, 3, 20000, 0.2}, {8, 8, 20000, 0.2}};
  expect_analytic_mi(*linear(), cases, 0.01);
}

TEST(LinearEstimator, EqualsGaussianPluginAtTinyRidge) {
  // Both reduce to Schur complements of the same regularised correlation matrix.
  GaussianOptions go;
  go.bias_correction = false;
  const auto g = make_gaussian_estimator(go);
  const auto l = linear();
  const Triple s = collider(500, 3, 8);
  EXPECT_NEAR(l->mutual_information(s.x, s.z).value, g->mutual_information(s.x, s.z).value, 1e-10);
  EXPECT_NEAR(l->conditional_mutual_information(s.x, s.y, s.z).value,
              g->conditional_mutual_information(s.x, s.y, s.z).value, 1e-10);
  EXPECT_NEAR(l->conditional_mutual_information(s.x, s.y, s.z).std_error,
              g->conditional_mutual_information(s.x, s.y, s.z).std_error, 1e-10);
  EXPECT_EQ(l->test_positive_cmi(s.x, s.y, s.z, 0.95).significant,
            g->test_positive_cmi(s.x, s.y, s.z, 0.95).significant);
  EXPECT_EQ(l->name(), "linear");
}

TEST(LinearEstimator, DecidesChainAndColliderAt95Percent) {
  const auto e = linear();
  for (int64_t d : {1, 2}) {
    const int chain_positive = count_significant(*e, 40, 0.95, [&](uint64_t s) { return chain(400, d, 50 + s); });
    const int collider_positive =
        count_significant(*e, 40, 0.95, [&](uint64_t s) { return collider(400, d, 50 + s); });
    std::printf("linear d=%lld: chain X->Z->Y declared dependent %d/40, collider X->Z<-Y %d/40\n",
                static_cast<long long>(d), chain_positive, collider_positive);
    EXPECT_LE(chain_positive, 4);  // binomial(40, 5%): P(<= 4) = 0.95
    EXPECT_GE(collider_positive, 38);
  }
}

TEST(LinearEstimator, FalsePositiveRateIsNominal) {
  const auto e = linear();
  const int positives =
      count_significant(*e, 100, 0.95, [](uint64_t s) { return independent(300, 3, 1, 2, 2000 + s); });
  std::printf("linear independence given z: false positives %d/100 at 95%% confidence\n", positives);
  EXPECT_LE(positives, 11);  // 5% +- 3 standard errors
}

TEST(LinearEstimator, DegenerateInputs) {
  const Triple s = collider(300, 2, 9);
  const auto e = linear();
  const at::Tensor dead = at::zeros({300, 1}, at::kDouble);
  EXPECT_NEAR(e->mutual_information(at::cat({s.x, dead}, 1), s.z).value, e->mutual_information(s.x, s.z).value,
              1e-12);
  EXPECT_EQ(e->mutual_information(dead, s.z).value, 0.0);
  EXPECT_NEAR(e->mutual_information(at::cat({s.x, s.x}, 1), s.z).value, e->mutual_information(s.x, s.z).value, 1e-6);
  const Estimate exact = e->mutual_information(s.x, s.x.slice(1, 0, 1) * 2);
  EXPECT_TRUE(std::isfinite(exact.value));
  EXPECT_GT(exact.value, 5.0);
  expect_error([&] { linear(0)->mutual_information(s.x, s.x); }, ErrorKind::kNumerical, {"linear", "ridge > 0"});
  at::Tensor z_nan = s.z.clone();
  z_nan[0][1] = NAN;
  expect_error([&] { e->conditional_mutual_information(s.x, s.y, z_nan); }, ErrorKind::kNumerical,
               {"linear", "z column 1 has NaN"});
  expect_error([&] { e->mutual_information(s.x.slice(0, 0, 5), s.z.slice(0, 0, 5)); }, ErrorKind::kInvalidArgument,
               {"need n > 5"});
  expect_error([] { linear(-0.5); }, ErrorKind::kInvalidArgument, {"ridge -0.5"});
}

}  // namespace mipp::info
