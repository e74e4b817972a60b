#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "mipp/info/elimination.h"
#include "mipp/info/linear_proxy.h"
#include "support/expect_error.h"

namespace mipp::info {

namespace {

constexpr double kRidge = 1e-10;

// x [n, 6] with correlated columns; y [n, 3] depending on columns 0, 1, 3 and 4.
struct Problem {
  at::Tensor x, y;
};

Problem make_problem(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor mix = at::randn({6, 6}, gen, opts) * 0.5 + at::eye(6, opts);
  const at::Tensor x = at::randn({n, 6}, gen, opts).mm(mix);
  const at::Tensor w = at::randn({6, 3}, gen, opts);
  w.select(0, 2).zero_();
  w.select(0, 5).zero_();
  const at::Tensor y = x.mm(w) + at::randn({n, 3}, gen, opts);
  return {x, y};
}

at::Tensor standardized(const at::Tensor& t) {
  const at::Tensor c = t - t.mean(0, true);
  return c / c.pow(2).mean(0, true).sqrt();
}

at::Tensor columns(const at::Tensor& t, const std::vector<int64_t>& cols) {
  return t.index_select(1, at::tensor(cols, at::kLong));
}

std::unique_ptr<Elimination> linear(const Problem& p, std::vector<std::vector<int64_t>> units) {
  return make_elimination("linear", {{"ridge", kRidge}}, {p.x, p.y, std::move(units), 0});
}

}  // namespace

TEST(LinearElimination, TestIsTheGaussianCmiOfTheUnitGivenTheActiveOthers) {
  const Problem p = make_problem(800, 1);
  auto e = linear(p, {{0}, {1, 2}, {3}, {4, 5}});
  const auto estimator = make_linear_estimator({kRidge});
  // Unit {1, 2} given units {0}, {3}, {4, 5}.
  const double direct =
      estimator->conditional_mutual_information(columns(p.x, {1, 2}), p.y, columns(p.x, {0, 3, 4, 5})).value;
  EXPECT_NEAR(e->test(1).information, direct, 1e-7);
  // After removing unit {0}, unit {3} is tested given {1, 2} and {4, 5}: the downdate equals a refit.
  e->remove(0);
  const double after =
      estimator->conditional_mutual_information(columns(p.x, {3}), p.y, columns(p.x, {1, 2, 4, 5})).value;
  EXPECT_NEAR(e->test(2).information, after, 1e-7);
  EXPECT_NEAR(linear(p, {{1, 2}, {3}, {4, 5}})->test(1).information, after, 1e-9);
}

TEST(LinearElimination, LossIncreaseIsTheDropOneRegressorLossOfStandardisedData) {
  const Problem p = make_problem(600, 2);
  auto e = linear(p, {{0}, {1}, {2}, {3}, {4}, {5}});
  LinearProxy proxy(standardized(p.x), standardized(p.y), kRidge);
  for (int64_t u = 0; u < 6; ++u) {
    EXPECT_NEAR(e->test(u).loss_increase, proxy.loss_without(u) - proxy.loss(), 1e-9) << "unit " << u;
  }
  e->remove(2);
  proxy.remove(2);
  EXPECT_NEAR(e->test(0).loss_increase, proxy.loss_without(0) - proxy.loss(), 1e-9);
}

TEST(LinearElimination, VarianceWeightsMeasureTheLossInTheTargetsOwnScale) {
  Problem p = make_problem(600, 2);
  p.y.select(1, 2).mul_(10);  // one target column dominates the squared error in its own scale
  const at::Tensor centred = p.y - p.y.mean(0, true);
  const at::Tensor variance = centred.pow(2).mean(0);
  const std::vector<std::vector<int64_t>> units = {{0}, {1}, {2}, {3}, {4}, {5}};
  auto weighted = make_elimination("linear", {{"ridge", kRidge}}, {p.x, p.y, units, 0, variance});
  auto equal = linear(p, units);
  // The squared error of the centred target over its total variance: one scale for every column.
  LinearProxy proxy(standardized(p.x), centred / variance.mean().sqrt(), kRidge);
  bool differs = false;
  for (int64_t u = 0; u < 6; ++u) {
    const UnitTest w = weighted->test(u), e = equal->test(u);
    EXPECT_NEAR(w.loss_increase, proxy.loss_without(u) - proxy.loss(), 1e-8) << "unit " << u;
    EXPECT_DOUBLE_EQ(w.log_p_value, e.log_p_value) << "the test does not depend on the weights";
    differs = differs || std::abs(w.loss_increase - e.loss_increase) > 0.2 * e.loss_increase;
  }
  EXPECT_TRUE(differs);
  weighted->remove(2);
  proxy.remove(2);
  EXPECT_NEAR(weighted->test(0).loss_increase, proxy.loss_without(0) - proxy.loss(), 1e-8);

  testing::expect_error([&] { make_elimination("linear", {{"ridge", kRidge}}, {p.x, p.y, units, 0, variance.narrow(0, 0, 2)}); },
                        ErrorKind::kInvalidArgument, {"2 target weights", "3 target columns"});
  testing::expect_error([&] { make_elimination("linear", {{"ridge", kRidge}}, {p.x, p.y, units, 0, -variance}); },
                        ErrorKind::kInvalidArgument, {"target weight", ">= 0"});
  testing::expect_error([&] { make_elimination("gaussian", nlohmann::json::object(), {p.x, p.y, units, 0, variance}); },
                        ErrorKind::kInvalidArgument, {"gaussian", "linear estimator only"});
}

TEST(LinearElimination, UnitInformationIsEachUnitsOwnMi) {
  const Problem p = make_problem(700, 3);
  auto e = linear(p, {{0}, {1, 2}, {5}});
  const auto estimator = make_linear_estimator({kRidge});
  const std::vector<double> info = e->unit_information();
  EXPECT_NEAR(info[0], estimator->mutual_information(columns(p.x, {0}), p.y).value, 1e-7);
  EXPECT_NEAR(info[1], estimator->mutual_information(columns(p.x, {1, 2}), p.y).value, 1e-7);
  EXPECT_NEAR(info[2], estimator->mutual_information(columns(p.x, {5}), p.y).value, 1e-7);
}

TEST(LinearElimination, IrrelevantDuplicatedAndDeadUnitsAreNotSignificant) {
  const Problem base = make_problem(2000, 4);
  // Columns: 0..5 as in the problem, 6 = copy of 0, 7 = constant (a dead ReLU unit).
  const at::Tensor x = at::cat({base.x, base.x.select(1, 0).unsqueeze(1), at::full({2000, 1}, 0.0, base.x.options())}, 1);
  auto e = make_elimination("linear", {{"ridge", 1e-6}}, {x, base.y, {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}, 0});
  const double log_005 = std::log(0.05);
  EXPECT_GT(e->test(5).log_p_value, log_005);  // y ignores column 5 ...
  EXPECT_LT(e->test(4).log_p_value, log_005);  // ... but not column 4
  EXPECT_GT(e->test(6).log_p_value, log_005);  // a copy adds nothing while the original is there
  const UnitTest dead = e->test(7);
  EXPECT_EQ(dead.information, 0);
  EXPECT_EQ(dead.log_p_value, 0);
  e->remove(6);
  EXPECT_LT(e->test(0).log_p_value, -100);  // once the copy is gone, the original matters hugely
}

TEST(LinearElimination, BadInputsAreNamed) {
  const Problem p = make_problem(8, 5);
  testing::expect_error([&] { linear(p, {{0, 1, 2, 3, 4, 5}}); }, ErrorKind::kInvalidArgument,
                        {"8 samples", "6 unit columns", "3 target columns"});
  testing::expect_error([&] { linear(p, {{0}, {0}}); }, ErrorKind::kInvalidArgument, {"column 0 is in two units"});
  testing::expect_error([&] { linear(p, {{9}}); }, ErrorKind::kInvalidArgument, {"column 9"});
  testing::expect_error([&] { make_elimination("nope", nlohmann::json::object(), {p.x, p.y, {{0}}, 0}); },
                        ErrorKind::kNotFound, {"nope", "linear"});
  testing::expect_error([&] { make_elimination("linear", {{"ridge", 0}}, {p.x, p.y, {{0}}, 0}); },
                        ErrorKind::kInvalidArgument, {"ridge"});
  at::Tensor bad = p.x.clone();
  bad[3][1] = std::nan("");
  testing::expect_error([&] { make_elimination("linear", {{"ridge", 1e-6}}, {bad, p.y, {{0}}, 0}); },
                        ErrorKind::kNumerical, {"x column 1", "NaN"});
}

}  // namespace mipp::info
