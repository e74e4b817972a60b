#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/method.h"

namespace mipp::prune {

// Synaptic flow is conserved (Tanaka et al. 2020, Theorem 1): in a bias-free ReLU MLP the scores of
// every layer's incoming weights sum to the same R, the summed output of the linearised network on
// an all-ones input.
TEST(SynflowMethod, ScoresOfEveryLayerSumToTheSameFlow) {
  graph::Network net({5});
  int x = net.add("fc1", graph::LinearOp{5, 7, false}, {0});
  x = net.add("relu1", graph::ActivationOp{}, {x});
  x = net.add("fc2", graph::LinearOp{7, 6, false}, {x});
  x = net.add("relu2", graph::ActivationOp{}, {x});
  net.add("fc3", graph::LinearOp{6, 3, false}, {x});
  models::initialize(net, 4);

  const graph::Analysis a = graph::analyze(net);
  const auto scores = make_method("synflow")->score({net, a, nullptr, 0, util::null_sink()});
  ASSERT_EQ(scores.size(), 2u);

  at::Tensor flow = torch::ones({1, 5}, torch::kFloat64);
  for (const char* name : {"fc1", "fc2", "fc3"}) {
    flow = flow.matmul(net.node(net.find(name)).params.at("weight").to(torch::kFloat64).abs().t());
  }
  const double r = flow.sum().item<double>();
  EXPECT_NEAR(scores[0].sum().item<double>(), r, 1e-9 * r);
  EXPECT_NEAR(scores[1].sum().item<double>(), r, 1e-9 * r);
  EXPECT_GT(scores[0].min().item<double>(), 0);
}

TEST(SynflowMethod, IsDataFreeAndDeterministic) {
  models::ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.25;
  const graph::Network net = models::build_model(spec);
  const graph::Analysis a = graph::analyze(net);
  auto method = make_method("synflow");
  EXPECT_FALSE(method->needs_data());
  const auto first = method->score({net, a, nullptr, 0, util::null_sink()});
  const auto second = method->score({net, a, nullptr, 7, util::null_sink()});
  for (size_t g = 0; g < first.size(); ++g) EXPECT_TRUE(torch::equal(first[g], second[g]));
}

}  // namespace mipp::prune
