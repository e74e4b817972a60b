#include "mipp/prune/budget.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/models/zoo.h"
#include "support/expect_error.h"

namespace mipp::prune {

namespace {

graph::Network zoo(const std::string& name, double width = 1.0) {
  models::ModelSpec spec;
  spec.name = name;
  spec.width = width;
  return models::build_model(spec);
}

std::vector<at::Tensor> random_scores(const graph::Analysis& a, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<at::Tensor> s;
  for (const graph::Group& g : a.groups) s.push_back(torch::rand({g.size}, gen));
  return s;
}

int64_t kept_units(const graph::KeepSets& keep) {
  int64_t n = 0;
  for (const auto& k : keep) n += static_cast<int64_t>(k.size());
  return n;
}

}  // namespace

TEST(SelectUnits, GlobalUnitsReachesTheSparsityExactly) {
  const graph::Network net = zoo("lenet5");
  const graph::Analysis a = graph::analyze(net);
  Budget b;
  b.sparsity = 0.4;
  const Selection s = select_units(net, a, random_scores(a, 1), b);
  const int64_t total = 6 + 16 + 120 + 84;
  EXPECT_EQ(kept_units(s.keep), total - static_cast<int64_t>(std::ceil(0.4 * total)));
  EXPECT_GE(s.achieved, 0.4);
  EXPECT_LT(s.achieved, 0.4 + 1.0 / total);
}

TEST(SelectUnits, GlobalKeepsTheHighestScores) {
  const graph::Network net = zoo("lenet5");
  const graph::Analysis a = graph::analyze(net);
  const auto scores = random_scores(a, 2);
  Budget b;
  b.sparsity = 0.5;
  const Selection s = select_units(net, a, scores, b);
  // Every kept unit scores at least as high as every removed unit (no group hit its floor here).
  double lowest_kept = 1e9, highest_removed = -1e9;
  for (const graph::Group& g : a.groups) {
    std::vector<bool> kept(g.size, false);
    for (int64_t u : s.keep[g.id]) kept[u] = true;
    for (int64_t u = 0; u < g.size; ++u) {
      const double v = scores[g.id][u].item<double>();
      if (kept[u]) {
        lowest_kept = std::min(lowest_kept, v);
      } else {
        highest_removed = std::max(highest_removed, v);
      }
    }
  }
  ASSERT_TRUE(s.at_min_width.empty());
  EXPECT_GE(lowest_kept, highest_removed);
}

TEST(SelectUnits, LayerScopeRemovesTheSameFractionEverywhere) {
  const graph::Network net = zoo("vgg11", 0.25);
  const graph::Analysis a = graph::analyze(net);
  Budget b;
  b.sparsity = 0.5;
  b.scope = "layer";
  const Selection s = select_units(net, a, random_scores(a, 3), b);
  for (const graph::Group& g : a.groups) EXPECT_EQ(static_cast<int64_t>(s.keep[g.id].size()), g.size / 2) << g.name;
}

TEST(SelectUnits, ParamsAndMacsTargetsAreReached) {
  const graph::Network net = zoo("resnet20", 0.5);
  const graph::Analysis a = graph::analyze(net);
  for (const char* target : {"params", "macs"}) {
    for (const char* scope : {"global", "layer"}) {
      Budget b;
      b.sparsity = 0.6;
      b.target = target;
      b.scope = scope;
      const Selection s = select_units(net, a, random_scores(a, 4), b);
      EXPECT_GE(s.achieved, 0.6) << target << " " << scope;
      EXPECT_LT(s.achieved, 0.7) << target << " " << scope;
      EXPECT_NEAR(s.achieved, measure_sparsity(net, a, s.keep, target), 1e-12);
    }
  }
}

TEST(SelectUnits, MinWidthHoldsAndIsReported) {
  const graph::Network net = zoo("lenet5");
  const graph::Analysis a = graph::analyze(net);
  auto scores = random_scores(a, 5);
  scores[0] = scores[0] - 10;  // conv1's units are the least important of all
  Budget b;
  b.sparsity = 0.3;
  b.min_width = 2;
  const Selection s = select_units(net, a, scores, b);
  EXPECT_EQ(s.keep[0].size(), 2u);
  EXPECT_EQ(s.at_min_width, std::vector<std::string>{"conv1"});
  b.min_width_fraction = 0.5;
  EXPECT_EQ(select_units(net, a, scores, b).keep[0].size(), 3u);
}

TEST(SelectUnits, InfeasibleBudgetNamesWhatIsReachable) {
  const graph::Network net = zoo("lenet5");
  const graph::Analysis a = graph::analyze(net);
  Budget b;
  b.sparsity = 0.9;
  b.max_layer_sparsity = 0.5;
  testing::expect_error([&] { select_units(net, a, random_scores(a, 6), b); }, ErrorKind::kInvalidArgument,
                        {"--sparsity 0.9", "at most 0.5"});
}

TEST(SelectUnits, RoundToKeepsMultiples) {
  const graph::Network net = zoo("vgg11", 0.25);
  const graph::Analysis a = graph::analyze(net);
  Budget b;
  b.sparsity = 0.37;
  b.round_to = 8;
  const Selection s = select_units(net, a, random_scores(a, 7), b);
  for (const graph::Group& g : a.groups) EXPECT_EQ(s.keep[g.id].size() % 8, 0u) << g.name;
}

TEST(SelectUnits, TiesKeepLowerIndices) {
  const graph::Network net = zoo("lenet5");
  const graph::Analysis a = graph::analyze(net);
  std::vector<at::Tensor> scores;
  for (const graph::Group& g : a.groups) scores.push_back(torch::ones({g.size}));
  Budget b;
  b.scope = "layer";
  b.sparsity = 0.5;
  const Selection s = select_units(net, a, scores, b);
  EXPECT_EQ(s.keep[0], (std::vector<int64_t>{0, 1, 2}));
}

TEST(SelectUnits, CustomScopeUsesPerGroupSparsities) {
  const graph::Network net = zoo("lenet5");
  const graph::Analysis a = graph::analyze(net);
  Budget b;
  b.scope = "custom";
  b.layer_sparsity = {{"fc1", 0.75}};
  const Selection s = select_units(net, a, random_scores(a, 8), b);
  EXPECT_EQ(s.keep[2].size(), 30u);
  EXPECT_EQ(s.keep[3].size(), 84u);
  b.layer_sparsity = {{"fc9", 0.5}};
  testing::expect_error([&] { select_units(net, a, random_scores(a, 8), b); }, ErrorKind::kInvalidArgument, {"fc9"});
}

TEST(SelectUnits, RejectsBadScoresAndBudgets) {
  const graph::Network net = zoo("lenet5");
  const graph::Analysis a = graph::analyze(net);
  auto scores = random_scores(a, 9);
  scores[1][3] = std::nan("");
  testing::expect_error([&] { select_units(net, a, scores, Budget{}); }, ErrorKind::kNumerical, {"conv2"});
  Budget b;
  b.sparsity = 1.2;
  testing::expect_error([&] { select_units(net, a, random_scores(a, 9), b); }, ErrorKind::kInvalidArgument,
                        {"--sparsity 1.2"});
}

}  // namespace mipp::prune
