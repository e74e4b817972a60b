#include "mipp/info/mlp_proxy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "info/gaussian_samples.h"
#include "mipp/info/elimination.h"
#include "mipp/util/error.h"
#include "support/expect_error.h"

namespace mipp::info {

namespace {

using mipp::testing::expect_error;
using namespace mipp::info::testing;

MlpOptions options(uint64_t seed = 0) {
  MlpOptions o;
  o.seed = seed;
  return o;
}

// y = sin(2 x0) + x1^2 + 0.3 noise: a strong, nonlinear dependence on x [n, 2].
struct Sample {
  at::Tensor x, y;
};
Sample nonlinear(int64_t n, uint64_t seed) {
  at::Generator g = generator(seed, "nonlinear");
  const at::Tensor x = at::randn({n, 2}, g, at::kDouble);
  const at::Tensor y = (2 * x.select(1, 0)).sin() + x.select(1, 1).pow(2) + 0.3 * at::randn({n}, g, at::kDouble);
  return {x, y.unsqueeze(1)};
}

// MIPP's loop over one layer: visit units least informative first, remove those whose test is not
// significant at `confidence`. Returns the removed units.
std::vector<int64_t> eliminate(Elimination& e, double confidence) {
  const std::vector<double> info = e.unit_information();
  std::vector<int64_t> order(info.size());
  for (size_t u = 0; u < order.size(); ++u) order[u] = static_cast<int64_t>(u);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return info[a] < info[b]; });
  std::vector<int64_t> removed;
  for (int64_t u : order) {
    if (removed.size() + 1 == order.size()) break;
    const UnitTest t = e.test(u);
    std::printf("unit %lld: I(u; y) %.4f, Delta loss %.4f, t %.2f, p %.3g\n", static_cast<long long>(u), info[u],
                t.information, t.statistic, std::exp(t.log_p_value));
    if (t.log_p_value > std::log(1 - confidence)) {
      e.remove(u);
      removed.push_back(u);
    }
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

// x [n, 6] in 5 units {0}, {1}, {2}, {3, 4}, {5}; y [n, 2] depends on columns 0 and 2 only;
// columns 1, 3, 4 are noise and column 5 duplicates column 0 up to small noise.
EliminationProblem toy_problem(int64_t n, uint64_t seed) {
  at::Generator g = generator(seed, "toy");
  at::Tensor x = at::randn({n, 6}, g, at::kDouble);
  x.select(1, 5).copy_(x.select(1, 0) + 0.05 * at::randn({n}, g, at::kDouble));
  const at::Tensor a = x.select(1, 0), b = x.select(1, 2);
  const at::Tensor y = at::stack({a + b.tanh(), a * b}, 1) + 0.2 * at::randn({n, 2}, g, at::kDouble);
  return {x, y, {{0}, {1}, {2}, {3, 4}, {5}}, seed};
}

}  // namespace

TEST(MlpEstimator, StrongDependenceIsLargeAndSignificant) {
  const auto e = make_mlp_estimator(options());
  EXPECT_EQ(e->name(), "mlp");
  const Sample s = nonlinear(1000, 1);
  const Estimate mi = e->mutual_information(s.x, s.y);
  std::printf("mlp: MI of y = sin(2 x0) + x1^2 + noise: %.3f +- %.3f nats\n", mi.value, mi.std_error);
  EXPECT_GT(mi.value, 1.0);  // var(y) ~ 2.5 against noise 0.09: ~1.7 nats if fitted perfectly
  EXPECT_EQ(mi.samples, 1000);
  EXPECT_TRUE(e->test_positive_cmi(s.x, s.y, at::Tensor(), 0.95).significant);
}

TEST(MlpEstimator, IndependentTargetIsNearZeroAndNotSignificant) {
  const auto e = make_mlp_estimator(options());
  for (uint64_t seed : {1, 2}) {
    const Sample s = nonlinear(1000, seed);
    const at::Tensor y = at::randn({1000, 2}, generator(seed, "independent"), at::kDouble);
    const Estimate mi = e->mutual_information(s.x, y);
    const TestResult t = e->test_positive_cmi(s.x, y, at::Tensor(), 0.95);
    std::printf("mlp: MI of independent y (seed %llu): %.4f +- %.4f nats, p %.3f\n",
                static_cast<unsigned long long>(seed), mi.value, mi.std_error, t.p_value);
    EXPECT_LT(std::fabs(mi.value), 0.03);
    EXPECT_FALSE(t.significant);
  }
}

TEST(MlpEstimator, DecidesChainAndCollider) {
  const auto e = make_mlp_estimator(options());
  for (uint64_t seed : {1, 2}) {
    const Triple c = chain(1000, 1, seed);
    const Estimate chain_cmi = e->conditional_mutual_information(c.x, c.y, c.z);
    const TestResult chain_test = e->test_positive_cmi(c.x, c.y, c.z, 0.95);
    const Triple k = collider(1000, 1, seed);
    const Estimate collider_cmi = e->conditional_mutual_information(k.x, k.y, k.z);
    const TestResult collider_test = e->test_positive_cmi(k.x, k.y, k.z, 0.95);
    std::printf("mlp seed %llu: chain CMI %.4f +- %.4f (p %.3f), collider CMI %.4f +- %.4f (p %.3g)\n",
                static_cast<unsigned long long>(seed), chain_cmi.value, chain_cmi.std_error, chain_test.p_value,
                collider_cmi.value, collider_cmi.std_error, collider_test.p_value);
    EXPECT_LT(std::fabs(chain_cmi.value), 0.03);
    EXPECT_FALSE(chain_test.significant);
    // Gaussian collider, unit variances: I(X; Y | Z) = 1/2 log(4/3) ~ 0.14 nats.
    EXPECT_GT(collider_cmi.value, 0.07);
    EXPECT_TRUE(collider_test.significant);
  }
}

TEST(MlpEstimator, CrossEntropyOnClassLabelsIsInNats) {
  MlpOptions o = options();
  o.loss = "cross_entropy";
  const auto e = make_mlp_estimator(o);
  const Sample s = nonlinear(1000, 3);
  // Labels (x0 > 0) + (x1 > 0) in {0, 1, 2}: H(Y) = 1.04 nats, all of it explained by x.
  const at::Tensor labels = ((s.x.select(1, 0) > 0).to(at::kDouble) + (s.x.select(1, 1) > 0).to(at::kDouble));
  const Estimate mi = e->mutual_information(s.x, labels.unsqueeze(1));
  std::printf("mlp cross-entropy: MI %.3f +- %.3f nats (H(Y) = 1.04)\n", mi.value, mi.std_error);
  EXPECT_GT(mi.value, 0.6);
  EXPECT_LT(mi.value, 1.1);
  const at::Tensor noise_labels = at::randint(3, {1000, 1}, generator(3, "labels"), at::kDouble);
  EXPECT_FALSE(e->test_positive_cmi(s.x, noise_labels, at::Tensor(), 0.95).significant);
  expect_error([&] { e->mutual_information(s.x, s.y); }, ErrorKind::kInvalidArgument, {"integer class ids"});
}

TEST(MlpEstimator, SameSeedGivesIdenticalResults) {
  const Triple k = collider(500, 2, 4);
  const Estimate a = make_mlp_estimator(options(7))->conditional_mutual_information(k.x, k.y, k.z);
  const Estimate b = make_mlp_estimator(options(7))->conditional_mutual_information(k.x, k.y, k.z);
  const Estimate c = make_mlp_estimator(options(8))->conditional_mutual_information(k.x, k.y, k.z);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.std_error, b.std_error);
  EXPECT_NE(a.value, c.value);
  // float32 and float64 inputs give the same fits (the MLP runs in float32 either way).
  const Estimate f = make_mlp_estimator(options(7))
                         ->conditional_mutual_information(k.x.to(at::kFloat), k.y.to(at::kFloat), k.z.to(at::kFloat));
  EXPECT_NEAR(f.value, a.value, 1e-4);
}

TEST(MlpEstimator, RejectsBadOptionsAndInputs) {
  const auto with = [](auto change) {
    MlpOptions o;
    change(o);
    return o;
  };
  expect_error([&] { make_mlp_estimator(with([](MlpOptions& o) { o.repeats = 1; })); }, ErrorKind::kInvalidArgument,
               {"repeats 1"});
  expect_error([&] { make_mlp_estimator(with([](MlpOptions& o) { o.loss = "l1"; })); }, ErrorKind::kInvalidArgument,
               {"loss 'l1'"});
  expect_error([&] { make_mlp_estimator(with([](MlpOptions& o) { o.held_out_fraction = 1.5; })); },
               ErrorKind::kInvalidArgument, {"held_out_fraction 1.5"});
  expect_error([&] { make_mlp_estimator(with([](MlpOptions& o) { o.learning_rate = 0; })); },
               ErrorKind::kInvalidArgument, {"learning_rate 0"});
  expect_error([&] { make_mlp_estimator(with([](MlpOptions& o) { o.activation = "tanh"; })); },
               ErrorKind::kInvalidArgument, {"activation 'tanh'"});
  expect_error([&] { make_mlp_estimator(with([](MlpOptions& o) { o.batch_size = 0; })); },
               ErrorKind::kInvalidArgument, {"batch_size 0"});

  const auto e = make_mlp_estimator();
  const Sample s = nonlinear(100, 5);
  at::Tensor x_nan = s.x.clone();
  x_nan[7][1] = NAN;
  expect_error([&] { e->mutual_information(x_nan, s.y); }, ErrorKind::kNumerical, {"x column 1 has NaN"});
  expect_error([&] { e->mutual_information(s.x.slice(0, 0, 4), s.y.slice(0, 0, 4)); }, ErrorKind::kInvalidArgument,
               {"held_out_fraction 0.2 of 4 samples"});
  expect_error([&] { e->test_positive_cmi(s.x, s.y, at::Tensor(), 0.4); }, ErrorKind::kInvalidArgument,
               {"confidence 0.4"});
}

TEST(MlpOptions, JsonRoundTripKeepsDefaults) {
  MlpOptions o;
  o.hidden_width = 32;
  o.loss = "cross_entropy";
  o.seed = 11;
  const nlohmann::json j = o;
  const MlpOptions back = j.get<MlpOptions>();
  EXPECT_EQ(nlohmann::json(back), j);
  const MlpOptions partial = nlohmann::json{{"repeats", 3}}.get<MlpOptions>();
  EXPECT_EQ(partial.repeats, 3);
  EXPECT_EQ(partial.hidden_width, 64);
  EXPECT_EQ(partial.refit_epochs, 10);
}

TEST(MlpElimination, RemovesNoiseUnitsAndKeepsInformativeOnes) {
  const std::vector<std::string>& names = elimination_estimators();
  EXPECT_NE(std::find(names.begin(), names.end(), "mlp"), names.end());
  const auto e = make_elimination("mlp", nlohmann::json::object(), toy_problem(2000, 1));
  EXPECT_EQ(e->estimator(), "mlp");
  EXPECT_EQ(e->fits(), 5);  // R reference fits
  const std::vector<int64_t> removed = eliminate(*e, 0.95);
  const auto is_removed = [&](int64_t u) { return std::count(removed.begin(), removed.end(), u) > 0; };
  EXPECT_TRUE(is_removed(1));
  EXPECT_TRUE(is_removed(3));
  EXPECT_FALSE(is_removed(2));
  EXPECT_FALSE(is_removed(0) && is_removed(4));  // one copy of the duplicated unit stays
  std::printf("duplicate of unit 0 removed: %s; fits %lld\n", is_removed(0) || is_removed(4) ? "yes" : "no",
              static_cast<long long>(e->fits()));
}

TEST(MlpElimination, UnitInformationOrdersInformativeUnitsFirst) {
  const auto e = make_elimination("mlp", nlohmann::json::object(), toy_problem(1000, 2));
  const std::vector<double> info = e->unit_information();
  ASSERT_EQ(info.size(), 5u);
  EXPECT_EQ(e->fits(), 5 + 5 * 5);
  for (int64_t informative : {0, 2, 4}) {
    for (int64_t noise : {1, 3}) EXPECT_GT(info[informative], info[noise] + 0.05) << informative << " vs " << noise;
  }
  EXPECT_LT(std::fabs(info[1]), 0.02);
}

TEST(MlpElimination, IsDeterministicAndRejectsBadUse) {
  const EliminationProblem p = toy_problem(600, 3);
  const auto a = make_elimination("mlp", nlohmann::json{{"repeats", 3}}, p);
  const auto b = make_elimination("mlp", nlohmann::json{{"repeats", 3}}, p);
  const UnitTest ta = a->test(2), tb = b->test(2);
  EXPECT_EQ(ta.information, tb.information);
  EXPECT_EQ(ta.log_p_value, tb.log_p_value);
  EXPECT_EQ(a->test(2).information, ta.information);  // a test does not change the state
  EXPECT_EQ(a->fits(), 3 + 3 + 3 + 3);  // reference, control, two tests
  a->remove(1);                          // without a prior test: refits first
  EXPECT_EQ(a->fits(), 3 + 3 + 3 + 3 + 3);
  expect_error([&] { a->test(1); }, ErrorKind::kInvalidArgument, {"unit 1 was removed"});
  expect_error([&] { a->test(9); }, ErrorKind::kInvalidArgument, {"unit 9 of 5"});
  expect_error([&] { make_elimination("mlp", nlohmann::json{{"hidden_width", 0}}, p); }, ErrorKind::kInvalidArgument,
               {"hidden_width 0"});
  EliminationProblem nan = p;
  nan.y = p.y.clone();
  nan.y[3][1] = NAN;
  expect_error([&] { make_elimination("mlp", nlohmann::json::object(), nan); }, ErrorKind::kNumerical,
               {"y column 1 has NaN"});
}

}  // namespace mipp::info
