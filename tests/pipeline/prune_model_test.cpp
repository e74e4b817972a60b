#include "mipp/pipeline/prune_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/cost.h"
#include "mipp/graph/slice.h"
#include "mipp/models/zoo.h"
#include "support/expect_error.h"

namespace mipp::pipeline {

namespace {

io::Model lenet5() {
  models::ModelSpec spec;
  spec.name = "lenet5";
  return {models::build_model(spec), {"lenet5"}, {}};
}

}  // namespace

TEST(PruneModel, OneShotReportMatchesThePrunedNetwork) {
  const io::Model model = lenet5();
  PruneOptions o;
  o.budget.sparsity = 0.6;
  o.budget.target = "params";
  const PruneResult r = prune_model(model, nullptr, nullptr, o, util::null_sink());
  const graph::Cost after = graph::total_cost(r.pruned.network);
  EXPECT_EQ(r.report.at("after").at("params").get<int64_t>(), after.params);
  EXPECT_GE(r.report.at("achieved_sparsity").get<double>(), 0.6);
  EXPECT_EQ(r.pruned.metadata.history.back().at("action"), "prune");
  const graph::Analysis a = graph::analyze(model.network);
  EXPECT_EQ(graph::total_cost(graph::slice(model.network, a, r.selection.keep)).params, after.params);
}

TEST(PruneModel, IterativeRoundsEndAtTheRequestedSparsity) {
  const io::Model model = lenet5();
  for (const char* schedule : {"exponential", "linear"}) {
    PruneOptions o;
    o.method = "random";
    o.budget.sparsity = 0.8;
    o.rounds = 10;
    o.round_schedule = schedule;
    const PruneResult r = prune_model(model, nullptr, nullptr, o, util::null_sink());
    const double achieved = r.report.at("achieved_sparsity").get<double>();
    EXPECT_GE(achieved, 0.8 - 1e-9) << schedule;
    EXPECT_LT(achieved, 0.81) << schedule;
    // The keep-sets are in the original network's unit indices and reproduce the pruned network.
    const graph::Analysis a = graph::analyze(model.network);
    const graph::Network replay = graph::slice(model.network, a, r.selection.keep);
    const auto p = replay.named_parameters(), q = r.pruned.network.named_parameters();
    ASSERT_EQ(p.size(), q.size());
    for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(torch::equal(p[i].second, q[i].second)) << p[i].first;
  }
}

// Iterative magnitude pruning retrains between rounds; whatever the callback does to the weights
// decides the next round's scores. Here it makes fc1's first remaining unit the largest by far.
TEST(PruneModel, BetweenRoundsRunsAfterEveryRoundButTheLastAndItsWeightsCount) {
  const io::Model model = lenet5();
  PruneOptions o;
  o.method = "magnitude";
  o.budget.sparsity = 0.9;
  o.rounds = 3;
  std::vector<int> rounds_seen;
  std::vector<int64_t> fc1_widths;
  o.between_rounds = [&](graph::Network& net, int round) {
    rounds_seen.push_back(round);
    at::Tensor w = net.node(net.find("fc1")).params.at("weight");
    fc1_widths.push_back(w.size(0));
    at::NoGradGuard no_grad;
    w.mul_(1e-3);
    w[0].mul_(1e6);
  };
  const PruneResult r = prune_model(model, nullptr, nullptr, o, util::null_sink());
  EXPECT_EQ(rounds_seen, (std::vector<int>{1, 2}));
  ASSERT_EQ(fc1_widths.size(), 2u);
  EXPECT_GT(fc1_widths[0], fc1_widths[1]);  // the callback saw each round's sliced network
  // fc1's unit that was first after round 2 survives round 3, with the weights the callback left.
  const graph::Analysis a = graph::analyze(model.network);
  const graph::Group& fc1 = a.groups.at(a.groups.size() - 2);
  ASSERT_EQ(fc1.name, "fc1");
  const at::Tensor pruned_w = r.pruned.network.node(r.pruned.network.find("fc1")).params.at("weight");
  const at::Tensor original_row = model.network.node(model.network.find("fc1")).params.at("weight")[r.selection.keep[fc1.id].front()];
  EXPECT_GT(fc1_widths[1], static_cast<int64_t>(r.selection.keep[fc1.id].size()));
  // It was first after both rounds, so scaled by 1000 twice; its inputs were pruned too: every
  // weight left is 10^6 times one of the original row's.
  const at::Tensor scaled_back = pruned_w[0] / 1e6;
  const at::Tensor nearest = std::get<0>((scaled_back.unsqueeze(1) - original_row.unsqueeze(0)).abs().min(1));
  EXPECT_LT(nearest.max().item<double>(), 1e-6) << "the survivor carries the callback's weights";
}

TEST(PruneModel, RefusesBadRequestsBeforeWork) {
  const io::Model model = lenet5();
  PruneOptions o;
  o.rounds = 0;
  testing::expect_error([&] { prune_model(model, nullptr, nullptr, o, util::null_sink()); },
                        ErrorKind::kInvalidArgument, {"--rounds 0"});
  o = {};
  o.method = "snip";
  testing::expect_error([&] { prune_model(model, nullptr, nullptr, o, util::null_sink()); },
                        ErrorKind::kInvalidArgument, {"calibration data"});
  o = {};
  io::Model broken = lenet5();
  broken.network.node(broken.network.find("fc2")).params.at("weight")[0][0] = std::nan("");
  testing::expect_error([&] { prune_model(broken, nullptr, nullptr, o, util::null_sink()); },
                        ErrorKind::kNumerical, {"fc2.weight"});
}

}  // namespace mipp::pipeline
