// The least-squares machinery of submodular, thinet and --reweight, against direct computations.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/reweight.h"
#include "prune/reconstruction/equal_accuracy.h"
#include "prune/reconstruction/greedy_selection.h"
#include "prune/reconstruction/least_squares.h"
#include "support/expect_error.h"
#include "support/tiny_networks.h"

namespace mipp::prune::reconstruction {

namespace {

// Correlated rows: B [n, d*kappa + 1] (ones column last), T = B W0 + noise.
struct Problem {
  at::Tensor b, t;
};

Problem random_problem(int64_t n, int64_t columns, int64_t outputs, uint64_t seed, double correlation = 0.5) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor mix = torch::eye(columns, torch::kFloat64) + correlation * torch::randn({columns, columns}, gen).to(torch::kFloat64);
  at::Tensor b = torch::randn({n, columns}, gen).to(torch::kFloat64).mm(mix) + 0.3;
  b = torch::cat({b, torch::ones({n, 1}, torch::kFloat64)}, 1);
  const at::Tensor t = b.mm(torch::randn({columns + 1, outputs}, gen).to(torch::kFloat64)) +
                       0.1 * torch::randn({n, outputs}, gen).to(torch::kFloat64);
  return {b, t};
}

// ||T - proj_{B_S} T||^2 by a direct least-squares solve on the rows.
double direct_residual(const Problem& p, const std::vector<int64_t>& columns) {
  if (columns.empty()) return p.t.pow(2).sum().item<double>();
  const at::Tensor bs = p.b.index_select(1, torch::tensor(columns, torch::kInt64));
  const at::Tensor x = std::get<0>(at::linalg_lstsq(bs, p.t, c10::nullopt, "gelsd"));
  return (bs.mm(x) - p.t).pow(2).sum().item<double>();
}

// A view whose Grams describe `p` with the identity as the consumer's weights: the target is T.
ConsumerView view_of(const Problem& p, int64_t units, int64_t kappa, bool fixed_ones = true) {
  ConsumerView v;
  const int64_t d = p.b.size(1);
  v.grams.columns = d;
  v.grams.rows = p.b.size(0);
  // Fold T into the Grams: with A = [B, T] and weight selecting T's columns, A W^T = T.
  const at::Tensor a = torch::cat({p.b, p.t}, 1);
  v.grams.bb = p.b.t().mm(p.b);
  v.grams.ba = p.b.t().mm(a);
  v.grams.aa = a.t().mm(a);
  v.grams.weight = torch::cat({torch::zeros({p.t.size(1), d}, torch::kFloat64), torch::eye(p.t.size(1), torch::kFloat64)}, 1);
  for (int64_t u = 0; u < units; ++u) {
    std::vector<int64_t> cols;
    for (int64_t k = 0; k < kappa; ++k) cols.push_back(u * kappa + k);
    v.unit_columns.push_back(cols);
  }
  if (fixed_ones) v.fixed_columns = {d - 1};
  return v;
}

std::vector<int64_t> columns_of(const ConsumerView& v, const std::vector<int64_t>& units) {
  std::vector<int64_t> cols = v.fixed_columns;
  for (int64_t u : units) cols.insert(cols.end(), v.unit_columns[u].begin(), v.unit_columns[u].end());
  return cols;
}

}  // namespace

TEST(ResidualState, IncrementalResidualEqualsDirectLeastSquares) {
  const Problem p = random_problem(300, 12, 4, 1);
  const ConsumerView v = view_of(p, 6, 2);
  ResidualState state = ResidualState::for_consumer(v.grams);
  EXPECT_NEAR(state.residual_energy(), direct_residual(p, {}), 1e-8 * direct_residual(p, {}));
  std::vector<int64_t> added;
  for (const std::vector<int64_t>& block : {std::vector<int64_t>{12}, {4, 5}, {0, 1}, {10, 11}, {6, 7}}) {
    state.add(block);
    added.insert(added.end(), block.begin(), block.end());
    const double direct = direct_residual(p, added);
    EXPECT_NEAR(state.residual_energy(), direct, 1e-8 * direct_residual(p, {})) << added.size() << " columns";
  }
}

TEST(ResidualState, GainsAreTheResidualDropOfEachBlock) {
  const Problem p = random_problem(200, 10, 3, 2);
  const ConsumerView v = view_of(p, 5, 2);
  ResidualState state = ResidualState::for_consumer(v.grams);
  state.add({10, 0, 1});
  const at::Tensor blocks = torch::tensor({2, 3, 4, 5, 6, 7, 8, 9}, torch::kInt64).reshape({4, 2});
  const at::Tensor gains = state.gains(blocks);
  const double before = direct_residual(p, {10, 0, 1});
  for (int64_t u = 0; u < 4; ++u) {
    const double after = direct_residual(p, {10, 0, 1, 2 + 2 * u, 3 + 2 * u});
    EXPECT_NEAR(gains[u].item<double>(), before - after, 1e-8 * before);
  }
}

TEST(ResidualState, DependentColumnsExplainNothing) {
  Problem p = random_problem(100, 4, 2, 3);
  p.b.select(1, 3).copy_(2 * p.b.select(1, 0) - p.b.select(1, 1));  // column 3 in span of 0 and 1
  const ConsumerView v = view_of(p, 4, 1);
  ResidualState state = ResidualState::for_consumer(v.grams);
  state.add({0, 1});
  EXPECT_NEAR(state.add({3}), 0.0, 1e-9 * direct_residual(p, {}));
}

TEST(GreedySelection, ValueEqualsDirectLeastSquaresAtEveryStep) {
  const Problem p = random_problem(250, 16, 5, 4);
  const ConsumerView v = view_of(p, 8, 2);
  const GreedyResult r = greedy_selection({v}, 8, 5, {});
  ASSERT_EQ(r.order.size(), 5u);
  const double base = direct_residual(p, v.fixed_columns);
  std::vector<int64_t> chosen;
  for (size_t i = 0; i < r.order.size(); ++i) {
    chosen.push_back(r.order[i]);
    EXPECT_NEAR(r.value[i], 1 - direct_residual(p, columns_of(v, chosen)) / base, 1e-8);
  }
}

TEST(GreedySelection, WithinTheWeakSubmodularityGuaranteeOfBruteForce) {
  for (uint64_t seed = 10; seed < 14; ++seed) {
    const Problem p = random_problem(120, 14, 3, seed, 0.8);
    const ConsumerView v = view_of(p, 7, 2);
    const double base = direct_residual(p, v.fixed_columns);
    const int64_t k = 3;
    double best = 0;
    for (int a = 0; a < 7; ++a)
      for (int b = a + 1; b < 7; ++b)
        for (int c = b + 1; c < 7; ++c) best = std::max(best, 1 - direct_residual(p, columns_of(v, {a, b, c})) / base);
    const GreedyResult r = greedy_selection({v}, 7, k, {});
    // Submodularity ratio bound (Das & Kempe 2011): gamma >= the smallest eigenvalue of the
    // correlation matrix of the centred columns.
    const at::Tensor centred = p.b.narrow(1, 0, 14) - p.b.narrow(1, 0, 14).mean(0);
    const at::Tensor unit = centred / centred.norm(2, 0);
    const double gamma = at::linalg_eigvalsh(unit.t().mm(unit), "L").min().item<double>();
    EXPECT_GE(r.value.back(), (1 - std::exp(-gamma)) * best - 1e-12) << "seed " << seed;
    EXPECT_LE(r.value.back(), best + 1e-9) << "seed " << seed;
    // In practice greedy is much closer than the bound; a broken greedy is not.
    EXPECT_GE(r.value.back(), 0.9 * best) << "seed " << seed;
  }
}

TEST(GreedySelection, IsOptimalOnOrthogonalColumns) {
  // Orthogonal columns make F modular: greedy picks the k largest projections, the optimum.
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor q = std::get<0>(at::linalg_qr(torch::randn({64, 6}, gen).to(torch::kFloat64)));
  Problem p{q, q.mm(torch::tensor({{3.0}, {0.1}, {2.0}, {0.5}, {4.0}, {1.0}}, torch::kFloat64))};
  const ConsumerView v = view_of({torch::cat({p.b, torch::zeros({64, 1}, torch::kFloat64)}, 1), p.t}, 6, 1, false);
  const GreedyResult r = greedy_selection({v}, 6, 3, {});
  EXPECT_EQ(r.order, (std::vector<int64_t>{4, 0, 2}));
}

TEST(GreedySelection, FillsUpWhenColumnsAreDead) {
  Problem p = random_problem(80, 6, 2, 6);
  p.b.narrow(1, 2, 4).zero_();  // units 1 and 2 (columns 2..5) are dead ReLUs
  const ConsumerView v = view_of(p, 3, 2);
  const GreedyResult r = greedy_selection({v}, 3, 3, {});
  ASSERT_EQ(r.order.size(), 3u);
  EXPECT_EQ(r.order[0], 0);
}

TEST(GreedySelection, StochasticGreedyIsSeededAndClose) {
  const Problem p = random_problem(200, 20, 4, 7);
  const ConsumerView v = view_of(p, 10, 2);
  const GreedyResult full = greedy_selection({v}, 10, 4, {});
  const GreedyResult a = greedy_selection({v}, 10, 4, {0.1, 1}), b = greedy_selection({v}, 10, 4, {0.1, 1});
  EXPECT_EQ(a.order, b.order);
  EXPECT_GE(a.value.back(), 0.7 * full.value.back());
}

TEST(ThinetRemoval, RemovesTheUnitsWhoseContributionsCancel) {
  // Units 0 and 1 contribute opposite signals (their sum is zero), each smaller than units 2 and 3:
  // once one of them is gone, removing the other one even lowers the error.
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(8);
  const at::Tensor s = torch::randn({100, 1}, gen).to(torch::kFloat64);
  const at::Tensor noise = torch::randn({100, 2}, gen).to(torch::kFloat64);
  const at::Tensor b = torch::cat({s, -s, 2 * noise.narrow(1, 0, 1), 3 * noise.narrow(1, 1, 1),
                                   torch::ones({100, 1}, torch::kFloat64)}, 1);
  ConsumerView v;
  v.grams.columns = 5;
  v.grams.bb = b.t().mm(b);
  v.grams.ba = v.grams.bb;
  v.grams.aa = v.grams.bb;
  v.grams.weight = torch::tensor({{1.0, 1.0, 1.0, 1.0, 0.0}}, torch::kFloat64);
  v.unit_columns = {{0}, {1}, {2}, {3}};
  EXPECT_EQ(thinet_removal({v}, 4, 2), (std::vector<int64_t>{2, 3}));  // 0 and 1 go together
  EXPECT_EQ(thinet_removal({v}, 4, 3), (std::vector<int64_t>{1, 2, 3}));
}

TEST(Reweight, NeverWorseThanPlainRemovalAndSlicesToTheWorkingNetwork) {
  models::ModelSpec spec;
  spec.name = "lenet5";
  const graph::Network net = models::build_model(spec);
  const graph::Analysis a = graph::analyze(net);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(9);
  data::Dataset calibration;
  calibration.inputs = torch::rand({96, 1, 28, 28}, gen);
  graph::KeepSets keep = {{0, 2, 5}, {1, 3, 4, 8, 9, 15}, {}, {}};
  for (int64_t u = 0; u < 120; u += 3) keep[2].push_back(u);
  for (int64_t u = 0; u < 84; u += 2) keep[3].push_back(u);
  const Reweighted r = reweight(net, a, keep, calibration, {}, 0, util::null_sink());
  for (const auto& layer : r.layers) {
    for (const auto& c : layer.at("consumers")) {
      EXPECT_LE(c.at("error_updated").get<double>(), c.at("error_removed").get<double>() + 1e-12) << c.dump();
    }
  }
  // The working copy computes what its slice computes: removed units feed nothing.
  const graph::Network sliced = graph::slice(r.network, a, keep);
  const at::Tensor x = calibration.inputs.narrow(0, 0, 16);
  EXPECT_TRUE(torch::allclose(graph::forward(r.network, x).output, graph::forward(sliced, x).output, 1e-4, 1e-5));
  // And it is closer to the original network's output than plain removal.
  const at::Tensor original = graph::forward(net, calibration.inputs).output;
  const double plain = (graph::forward(graph::slice(net, a, keep), calibration.inputs).output - original).pow(2).sum().item<double>();
  const double refitted = (graph::forward(sliced, calibration.inputs).output - original).pow(2).sum().item<double>();
  EXPECT_LT(refitted, 0.5 * plain);
}

TEST(Reweight, ResidualNetworksWithBatchNormSliceCleanly) {
  models::ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.25;
  graph::Network net = models::build_model(spec);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(10);
  testing::randomize_batch_norms(net, gen);
  const graph::Analysis a = graph::analyze(net);
  graph::KeepSets keep;
  for (const graph::Group& g : a.groups) {
    std::vector<int64_t> k;
    for (int64_t u = 0; u < g.size; u += 2) k.push_back(u);
    keep.push_back(k);
  }
  data::Dataset calibration;
  calibration.inputs = torch::rand({32, 3, 32, 32}, gen);
  ReweightOptions options;
  options.patches = "random";
  const Reweighted r = reweight(net, a, keep, calibration, options, 0, util::null_sink());
  const at::Tensor x = calibration.inputs.narrow(0, 0, 8);
  const at::Tensor working = graph::forward(r.network, x).output;
  EXPECT_TRUE(torch::allclose(working, graph::forward(graph::slice(r.network, a, keep), x).output, 1e-4, 1e-4));
}

}  // namespace mipp::prune::reconstruction

namespace mipp::prune::reconstruction {

TEST(EqualAccuracy, EveryLayerReachesTheSameAccuracyWithinTheBudget) {
  // Layer 0 (10 units) loses accuracy fast, layer 1 (10 units) barely.
  LayerCurve fragile{10, 1, {1, 2, 5, 8, 10}, {0.10, 0.30, 0.70, 0.88, 0.90}};
  LayerCurve robust{10, 1, {1, 2, 5, 8, 10}, {0.80, 0.86, 0.89, 0.90, 0.90}};
  const EqualAccuracyBudget b = solve_equal_accuracy({fragile, robust}, 10);
  // a = 0.86 needs 8 + 2 = 10 units; anything higher needs 8 + 5: the fragile layer keeps more.
  EXPECT_EQ(b.counts, (std::vector<int64_t>{8, 2}));
  EXPECT_NEAR(b.target_accuracy, 0.86, 1e-4);
}

TEST(EqualAccuracy, UsesTheMonotoneEnvelopeAndHandsOutTheRest) {
  // A dip at 5 units is ignored (envelope: 0.8 from 2 units on); 3 units left go to the layer that
  // keeps the larger fraction.
  LayerCurve a{10, 1, {1, 2, 5, 10}, {0.5, 0.8, 0.6, 0.9}};
  LayerCurve b{20, 1, {2, 4, 10, 20}, {0.2, 0.85, 0.88, 0.9}};
  const EqualAccuracyBudget r = solve_equal_accuracy({a, b}, 9);
  EXPECT_NEAR(r.target_accuracy, 0.8, 1e-4);
  EXPECT_EQ(r.counts[0] + r.counts[1], 9);
  EXPECT_EQ(r.counts, (std::vector<int64_t>{5, 4}));  // 2 + 4 = 6; both keep 20%, the first gets the 3
}

TEST(EqualAccuracy, FloorsAboveTheBudgetAreAnError) {
  LayerCurve a{10, 6, {10}, {0.9}};
  LayerCurve b{10, 6, {10}, {0.9}};
  testing::expect_error([&] { solve_equal_accuracy({a, b}, 10); }, ErrorKind::kInvalidArgument, {"12 units", "10 allowed"});
}

}  // namespace mipp::prune::reconstruction
