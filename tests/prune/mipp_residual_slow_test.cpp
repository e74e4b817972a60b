// MIPP on residual networks: every group, residual stages included, gets a decision; the keep-sets
// slice into a working, smaller network.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/analyze.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/forward.h"
#include "mipp/graph/slice.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/method.h"

namespace mipp::prune {

namespace {

void prune_residual_network(const models::ModelSpec& spec, int64_t samples) {
  const graph::Network net = models::build_model(spec);
  const graph::Analysis a = graph::analyze(net);
  data::Dataset calibration;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  std::vector<int64_t> shape = {samples};
  for (int64_t s : net.input_shape()) shape.push_back(s);
  calibration.inputs = at::randn(shape, gen);
  auto method = make_method("mipp");
  Budget budget;
  budget.sparsity = 0.5;
  const Selection s = method->select({net, a, &calibration, 0, util::null_sink()}, budget);
  EXPECT_NEAR(s.achieved, 0.5, 0.01);
  const nlohmann::json d = method->details();
  ASSERT_EQ(d.at("layers").size(), a.groups.size());
  bool residual_seen = false;
  for (const graph::Group& g : a.groups) {
    if (!g.is_residual()) continue;
    residual_seen = true;
    for (const auto& layer : d.at("layers")) {
      // A residual stage's units are read by several layers: each unit has a column per tensor read.
      if (layer.at("group") == g.name) {
        EXPECT_EQ(layer.at("units").size(), static_cast<size_t>(g.size));
      }
    }
  }
  EXPECT_TRUE(residual_seen);
  const graph::Network small = graph::slice(net, a, s.keep);
  EXPECT_LT(graph::total_cost(small).params, graph::total_cost(net).params);
  const at::Tensor out = graph::forward(small, calibration.inputs.narrow(0, 0, 4)).output;
  EXPECT_EQ(out.size(1), spec.num_classes);
  EXPECT_TRUE(at::isfinite(out).all().item<bool>());
}

}  // namespace

TEST(MippResidual, ResNet20) {
  models::ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.5;
  spec.input_shape = {3, 32, 32};
  prune_residual_network(spec, 512);
}

TEST(MippResidual, ResNet18SmallStem) {
  models::ModelSpec spec;
  spec.name = "resnet18";
  spec.small_stem = true;
  spec.width = 0.125;
  spec.input_shape = {3, 16, 16};
  prune_residual_network(spec, 512);
}

}  // namespace mipp::prune
