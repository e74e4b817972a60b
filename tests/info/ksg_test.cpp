#include "mipp/info/ksg.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "info/gaussian_samples.h"
#include "mipp/info/estimator_registry.h"
#include "mipp/info/linear_proxy.h"
#include "support/expect_error.h"

namespace mipp::info {

namespace {

using testing::generator;

KsgOptions with_search(std::string search, KsgOptions o = {}) {
  o.search = std::move(search);
  return o;
}

}  // namespace

TEST(KsgEstimator, MatchesAnalyticMiOfCorrelatedGaussians) {
  const auto e = make_ksg_estimator();
  // Joint dimensions 2 and 3 take the k-d trees, 4 brute force. In 4 dimensions KSG is biased low
  // here by ~0.02 nats (the mixings make x and y anisotropic), so 0.03 is tight: seed 1 is off by
  // -0.027 at n = 4000 and -0.034 at n = 5000.
  testing::expect_analytic_mi(*e, {{1, 1, 3000, 1.0}, {1, 2, 3000, 1.0}, {2, 2, 4000, 1.0}}, 0.03);
}

TEST(KsgEstimator, IndependentVariablesGiveNearZero) {
  const auto e = make_ksg_estimator();
  for (uint64_t seed : {1, 2, 3}) {
    at::Generator g = generator(seed, "independent");
    const at::Tensor x = at::randn({2000, 2}, g, at::kDouble), y = at::randn({2000, 1}, g, at::kDouble);
    const Estimate est = e->mutual_information(x, y);
    EXPECT_NEAR(est.value, 0, 0.02) << "seed " << seed;
    EXPECT_GT(est.std_error, 0);
    EXPECT_LT(est.std_error, 0.05);
  }
}

TEST(KsgEstimator, ChainCmiIsNearZeroAndColliderCmiPositiveByPermutationTest) {
  KsgOptions o;
  o.permutations = 40;
  const auto e = make_ksg_estimator(o);
  for (uint64_t seed : {1, 2, 3}) {
    const testing::Triple c = testing::chain(800, 1, seed);
    EXPECT_NEAR(e->conditional_mutual_information(c.x, c.y, c.z).value, 0, 0.04) << "chain seed " << seed;
    EXPECT_FALSE(e->test_positive_cmi(c.x, c.y, c.z, 0.95).significant) << "chain seed " << seed;
    const testing::Triple k = testing::collider(800, 1, seed);
    // Analytic I(X; Y | Z) for z = x + y + e, all unit variance: 1/2 log(4/3) = 0.144 nats.
    EXPECT_NEAR(e->conditional_mutual_information(k.x, k.y, k.z).value, 0.5 * std::log(4.0 / 3.0), 0.05)
        << "collider seed " << seed;
    const TestResult r = e->test_positive_cmi(k.x, k.y, k.z, 0.95);
    EXPECT_TRUE(r.significant) << "collider seed " << seed << " p " << r.p_value;
    EXPECT_DOUBLE_EQ(r.p_value, 1.0 / 41);
  }
}

TEST(KsgEstimator, MiTestRejectsIndependenceOnlyWhenDependent) {
  KsgOptions o;
  o.permutations = 40;
  const auto e = make_ksg_estimator(o);
  at::Generator g = generator(7, "mi test");
  const at::Tensor x = at::randn({600, 1}, g, at::kDouble);
  const at::Tensor noise = at::randn({600, 1}, g, at::kDouble);
  EXPECT_TRUE(e->test_positive_cmi(x, x + noise, at::Tensor(), 0.95).significant);
  EXPECT_FALSE(e->test_positive_cmi(x, noise, at::Tensor(), 0.95).significant);
}

TEST(KsgEstimator, TreeAndBruteSearchGiveIdenticalResults) {
  KsgOptions o;
  o.permutations = 5;
  const auto tree = make_ksg_estimator(with_search("tree", o));
  const auto brute = make_ksg_estimator(with_search("brute", o));
  // A tiny tile forces many brute-force tiles.
  o.tile_mib = 1;
  const auto brute_tiled = make_ksg_estimator(with_search("brute", o));
  at::Generator g = generator(3, "identical");
  const at::Tensor x = at::randn({1500, 2}, g, at::kDouble);
  const at::Tensor y = x.narrow(1, 0, 1) + at::randn({1500, 1}, g, at::kDouble);
  // Rounded to a grid: many exact ties in distances and duplicated rows.
  const at::Tensor z = (x.narrow(1, 1, 1) * 4).round() / 4;
  for (Estimator* e : {brute.get(), brute_tiled.get()}) {
    EXPECT_EQ(e->mutual_information(x, y).value, tree->mutual_information(x, y).value);
    EXPECT_EQ(e->mutual_information(x, y).std_error, tree->mutual_information(x, y).std_error);
    EXPECT_EQ(e->mutual_information(z, y).value, tree->mutual_information(z, y).value);
    EXPECT_EQ(e->conditional_mutual_information(x.narrow(1, 0, 1), y, z).value,
              tree->conditional_mutual_information(x.narrow(1, 0, 1), y, z).value);
    EXPECT_EQ(e->test_positive_cmi(z, y, x.narrow(1, 0, 1), 0.8).p_value,
              tree->test_positive_cmi(z, y, x.narrow(1, 0, 1), 0.8).p_value);
  }
  // Above tree_max_dims, "auto" takes brute force; forcing the tree still agrees.
  const at::Tensor w = at::randn({800, 3}, g, at::kDouble);
  EXPECT_EQ(make_ksg_estimator()->mutual_information(w, w.sum(1, true) + x.narrow(0, 0, 800).narrow(1, 0, 1)).value,
            tree->mutual_information(w, w.sum(1, true) + x.narrow(0, 0, 800).narrow(1, 0, 1)).value);
}

TEST(KsgEstimator, ConstantXGivesZeroAndTestNotSignificant) {
  const auto e = make_ksg_estimator();
  at::Generator g = generator(1, "constant");
  const at::Tensor y = at::randn({100, 1}, g, at::kDouble);
  const Estimate est = e->mutual_information(at::full({100, 2}, 3.0, at::kDouble), y);
  EXPECT_EQ(est.value, 0);
  EXPECT_EQ(est.std_error, 0);
  EXPECT_EQ(est.samples, 100);
  const TestResult r = e->test_positive_cmi(at::ones({100, 1}, at::kDouble), y, y, 0.95);
  EXPECT_FALSE(r.significant);
  EXPECT_EQ(r.p_value, 1);
  // A constant z is no condition at all.
  const at::Tensor x = y + at::randn({100, 1}, g, at::kDouble);
  EXPECT_EQ(e->conditional_mutual_information(x, y, at::ones({100, 1}, at::kDouble)).value,
            e->mutual_information(x, y).value);
}

TEST(KsgEstimator, DuplicatedSamplesGiveFiniteEstimates) {
  const auto e = make_ksg_estimator();
  at::Generator g = generator(2, "duplicates");
  // Discrete values: most samples have more than k exact duplicates, so eps_i = 0.
  const at::Tensor x = at::randint(0, 3, {300, 1}, g, at::kLong).to(at::kDouble);
  const at::Tensor y = x + at::randint(0, 2, {300, 1}, g, at::kLong).to(at::kDouble);
  // Finite, but not a good estimate: counts that include all duplicates make it negative here
  // (-2.4 nats; scikit-learn would clip it to 0). Discrete data needs `noise` or another estimator.
  const Estimate d = e->mutual_information(x, y);
  EXPECT_TRUE(std::isfinite(d.value) && std::isfinite(d.std_error)) << d.value;
  // Every row repeated 4 times.
  const at::Tensor base = at::randn({100, 2}, g, at::kDouble);
  const at::Tensor rep = base.repeat({4, 1});
  const Estimate r = e->mutual_information(rep.narrow(1, 0, 1), rep.narrow(1, 1, 1));
  EXPECT_TRUE(std::isfinite(r.value) && std::isfinite(r.std_error)) << r.value;
  // x duplicated into two identical columns changes nothing in max-norm.
  const at::Tensor y2 = base.narrow(1, 0, 1) + base.narrow(1, 1, 1);
  EXPECT_EQ(e->mutual_information(base.narrow(1, 0, 1).repeat({1, 2}), y2).value,
            e->mutual_information(base.narrow(1, 0, 1), y2).value);
  // The noise option breaks the ties, reproducibly for a seed.
  KsgOptions noisy;
  noisy.noise = 1e-10;
  noisy.seed = 5;
  EXPECT_EQ(make_ksg_estimator(noisy)->mutual_information(x, y).value,
            make_ksg_estimator(noisy)->mutual_information(x, y).value);
}

TEST(KsgEstimator, RejectsDegenerateInputsAndOptions) {
  const auto e = make_ksg_estimator();
  const at::Tensor three = at::randn({3, 1}, at::kDouble);
  mipp::testing::expect_error([&] { e->mutual_information(three, three); }, ErrorKind::kInvalidArgument,
                              {"ksg", "3 samples", "k = 3"});
  at::Tensor bad = at::randn({50, 2}, at::kDouble);
  bad[7][1] = NAN;
  mipp::testing::expect_error([&] { e->mutual_information(at::randn({50, 1}, at::kDouble), bad); },
                              ErrorKind::kNumerical, {"ksg", "y column 1 has NaN"});
  mipp::testing::expect_error(
      [&] { e->test_positive_cmi(at::randn({50, 1}, at::kDouble), at::randn({50, 1}, at::kDouble), at::Tensor(), 0.995); },
      ErrorKind::kInvalidArgument, {"confidence 0.995", "100 permutations"});
  KsgOptions o;
  o.k = 0;
  mipp::testing::expect_error([&] { make_ksg_estimator(o); }, ErrorKind::kInvalidArgument, {"ksg k 0"});
  o = {};
  o.search = "grid";
  mipp::testing::expect_error([&] { make_ksg_estimator(o); }, ErrorKind::kInvalidArgument, {"search 'grid'"});
  o = {};
  o.noise = -1;
  mipp::testing::expect_error([&] { make_ksg_estimator(o); }, ErrorKind::kInvalidArgument, {"noise -1"});
}

TEST(KsgOptions, JsonRoundTripKeepsDefaultsOfAbsentFields) {
  KsgOptions o;
  o.k = 5;
  o.search = "brute";
  o.seed = 9;
  const KsgOptions back = nlohmann::json(o).get<KsgOptions>();
  EXPECT_EQ(back.k, 5);
  EXPECT_EQ(back.search, "brute");
  EXPECT_EQ(back.seed, 9u);
  EXPECT_EQ(back.permutations, 100);
  const KsgOptions partial = nlohmann::json{{"noise", 1e-10}}.get<KsgOptions>();
  EXPECT_EQ(partial.k, 3);
  EXPECT_EQ(partial.noise, 1e-10);
}

TEST(EstimatorRegistry, MakesEveryEstimatorByNameWithJsonOptions) {
  EXPECT_EQ(estimator_names(), (std::vector<std::string>{"gaussian", "linear", "ksg", "mlp"}));
  for (const std::string& name : estimator_names()) EXPECT_EQ(make_estimator(name, nlohmann::json::object())->name(), name);
  mipp::testing::expect_error([] { make_estimator("knn", nlohmann::json::object()); }, ErrorKind::kNotFound,
                              {"unknown estimator 'knn'", "gaussian, linear, ksg"});
  mipp::testing::expect_error([] { make_estimator("ksg", {{"k", "three"}}); }, ErrorKind::kInvalidArgument,
                              {"ksg options"});
  mipp::testing::expect_error([] { make_estimator("ksg", {{"k", -2}}); }, ErrorKind::kInvalidArgument, {"ksg k -2"});
  mipp::testing::expect_error([] { make_estimator("linear", nlohmann::json::array()); }, ErrorKind::kInvalidArgument,
                              {"must be a JSON object"});
  EXPECT_EQ(estimator_options("ksg").at("k"), 3);
  EXPECT_EQ(estimator_options("linear").at("ridge"), LinearOptions{}.ridge);
}

}  // namespace mipp::info
