// The ops added for imported PyTorch models: hardtanh (ReLU6), SiLU, max-pooling in ceil mode, and
// nodes whose channels are frozen. Each matches PyTorch, survives a model file round trip, and
// frozen channels stay frozen through slicing.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/analyze.h"
#include "mipp/graph/forward.h"
#include "mipp/graph/slice.h"
#include "mipp/io/model_file.h"
#include "support/temp_dir.h"

namespace mipp::graph {

namespace {

// input [3, 9, 9] -> conv 4 -> hardtanh(0, 6) -> max-pool 2x2 ceil -> silu -> flatten -> linear 5
Network small_net(bool freeze_flatten) {
  Network net({3, 9, 9});
  int x = net.add("conv", Conv2dOp{3, 4, {3, 3}, {1, 1}, {1, 1}}, {0});
  ActivationOp relu6{ActivationKind::kHardtanh};
  relu6.min_val = 0;
  relu6.max_val = 6;
  x = net.add("relu6", relu6, {x});
  MaxPoolOp pool{{2, 2}, {2, 2}, {0, 0}, /*ceil_mode=*/true};
  x = net.add("pool", pool, {x});  // [4, 5, 5]: 9 / 2 rounded up
  x = net.add("silu", ActivationOp{ActivationKind::kSilu}, {x});
  x = net.add("flatten", FlattenOp{}, {x});
  if (freeze_flatten) net.freeze(x, "the source hard-codes 100 features");
  net.add("fc", LinearOp{100, 5}, {x});
  at::Generator gen = at::detail::createCPUGenerator(3);
  for (const auto& [name, t] : net.named_parameters()) t.normal_(0, 1, gen);
  return net;
}

}  // namespace

TEST(ImportedOps, MatchPyTorch) {
  const Network net = small_net(false);
  EXPECT_EQ(net.node(net.find("pool")).out_shape, (Shape{4, 5, 5}));
  const at::Tensor x = torch::randn({2, 3, 9, 9}) * 4;
  const Node& conv = net.node(net.find("conv"));
  at::Tensor y = torch::conv2d(x, conv.params.at("weight"), conv.params.at("bias"), 1, 1);
  y = torch::silu(torch::max_pool2d(torch::hardtanh(y, 0, 6), 2, 2, 0, 1, /*ceil_mode=*/true));
  const Node& fc = net.node(net.find("fc"));
  y = torch::linear(torch::flatten(y, 1), fc.params.at("weight"), fc.params.at("bias"));
  EXPECT_TRUE(torch::allclose(forward(net, x).output, y, 1e-5, 1e-5));
}

TEST(ImportedOps, SurviveAModelFile) {
  testing::TempDir dir;
  const Network net = small_net(true);
  io::save_model(dir.file("m.pt"), net, {"small"});
  const Network loaded = io::load_model(dir.file("m.pt")).network;
  EXPECT_EQ(loaded.node(loaded.find("pool")).as<MaxPoolOp>().ceil_mode, true);
  EXPECT_EQ(loaded.node(loaded.find("relu6")).as<ActivationOp>().max_val, 6.0);
  EXPECT_EQ(op_name(loaded.node(loaded.find("silu")).op), "silu");
  EXPECT_EQ(loaded.node(loaded.find("flatten")).frozen, "the source hard-codes 100 features");
  const at::Tensor x = torch::randn({2, 3, 9, 9});
  EXPECT_TRUE(torch::equal(forward(loaded, x).output, forward(net, x).output));
}

TEST(ImportedOps, FrozenNodeFreezesWhatReachesIt) {
  const Network free_net = small_net(false);
  EXPECT_EQ(analyze(free_net).groups.size(), 1u);

  const Network net = small_net(true);
  const Analysis a = analyze(net);
  EXPECT_TRUE(a.groups.empty());
  bool named = false;
  for (const std::string& why : a.frozen) named = named || why.rfind("flatten: the source hard-codes", 0) == 0;
  EXPECT_TRUE(named) << fmt::format("{}", fmt::join(a.frozen, "; "));
  const Network sliced = slice(net, a, keep_all(a));
  EXPECT_EQ(sliced.node(sliced.find("flatten")).frozen, net.node(net.find("flatten")).frozen);
}

}  // namespace mipp::graph
