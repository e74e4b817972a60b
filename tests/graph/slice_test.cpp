#include "mipp/graph/slice.h"

#include <algorithm>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/cost.h"
#include "mipp/graph/forward.h"
#include "mipp/io/model_file.h"
#include "mipp/models/zoo.h"
#include "mipp/util/error.h"
#include "support/temp_dir.h"
#include "support/tiny_networks.h"

namespace mipp::graph {

namespace {

// Keeps each unit with probability `keep_fraction` (at least one unit per group).
KeepSets random_keep(const Analysis& a, double keep_fraction, at::Generator& gen) {
  KeepSets keep(a.groups.size());
  for (const Group& g : a.groups) {
    const at::Tensor draw = torch::rand({g.size}, gen);
    for (int64_t u = 0; u < g.size; ++u) {
      if (draw[u].item<double>() < keep_fraction) keep[g.id].push_back(u);
    }
    if (keep[g.id].empty()) keep[g.id].push_back(draw.argmax().item<int64_t>());
  }
  return keep;
}

at::Tensor input_for(const Network& net, int64_t batch, at::Generator& gen) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  return torch::randn(shape, gen);
}

// Max abs difference of the two outputs, in units of the output's scale when that exceeds 1: the
// deep zoo models with random batch-norm statistics give outputs in the thousands (ResNet-110:
// 3,389), where one float32 rounding, which the CPU's conv kernels decide, is already 1.2e-4.
double masked_vs_sliced(const Network& net, const KeepSets& keep, const at::Tensor& x) {
  const Analysis a = analyze(net);
  ForwardOptions opt;
  opt.masks = unit_masks(net, a, keep);
  torch::NoGradGuard no_grad;
  const at::Tensor masked = forward(net, x, opt).output;
  const at::Tensor sliced = forward(slice(net, a, keep), x).output;
  const double scale = std::max(1.0, masked.abs().max().item<double>());
  return (masked - sliced).abs().max().item<double>() / scale;
}

}  // namespace

TEST(Slice, MaskedForwardEqualsSlicedForwardOnEveryZooModel) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(7);
  for (const models::ZooEntry& e : models::zoo_entries()) {
    models::ModelSpec spec;
    spec.name = e.name;
    if (e.name.rfind("vgg", 0) == 0 || e.name.rfind("resnet", 0) == 0) spec.width = 0.25;
    if (e.name == "resnet18" || e.name == "resnet34" || e.name == "resnet50") {
      spec.input_shape = {3, 32, 32};
      spec.small_stem = true;
    }
    Network net = models::build_model(spec);
    testing::randomize_batch_norms(net, gen);
    const Analysis a = analyze(net);
    for (double fraction : {0.3, 0.7}) {
      const KeepSets keep = random_keep(a, fraction, gen);
      EXPECT_LE(masked_vs_sliced(net, keep, input_for(net, 4, gen)), 1e-5) << e.name << " keeping " << fraction;
    }
  }
}

TEST(Slice, MaskedForwardEqualsSlicedForwardWithConcatAndDepthwise) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
  Network net = testing::all_ops_network(3);
  const Analysis a = analyze(net);
  EXPECT_LE(masked_vs_sliced(net, random_keep(a, 0.5, gen), input_for(net, 4, gen)), 1e-5);

  Network dw_net({3, 8, 8});
  Conv2dOp pw;
  pw.in_channels = 3;
  pw.out_channels = 8;
  pw.kernel = {1, 1};
  int x = dw_net.add("pw", pw, {0});
  x = dw_net.add("bn", BatchNormOp{8}, {x});
  Conv2dOp dw;
  dw.in_channels = dw.out_channels = dw.groups = 8;
  dw.padding = {1, 1};
  x = dw_net.add("dw", dw, {x});
  x = dw_net.add("flatten", FlattenOp{}, {x});
  dw_net.add("fc", LinearOp{8 * 64, 3}, {x});
  models::initialize(dw_net, 1);
  testing::randomize_batch_norms(dw_net, gen);
  const Analysis da = analyze(dw_net);
  const KeepSets keep = {{1, 4, 6}};
  EXPECT_LE(masked_vs_sliced(dw_net, keep, input_for(dw_net, 4, gen)), 1e-5);
  const Network small = slice(dw_net, da, keep);
  EXPECT_EQ(small.node(small.find("dw")).as<Conv2dOp>().groups, 3);
  EXPECT_EQ(small.node(small.find("fc")).as<LinearOp>().in_features, 3 * 64);
}

TEST(Slice, RemovesWeightsPhysically) {
  models::ModelSpec spec;
  spec.name = "lenet5";
  const Network net = models::build_model(spec);
  const Analysis a = analyze(net);
  KeepSets keep = keep_all(a);
  keep[1] = {0, 3, 15};  // conv2 keeps 3 of 16 channels
  const Network small = slice(net, a, keep);
  EXPECT_EQ(small.node(small.find("conv2")).params.at("weight").sizes(), (std::vector<int64_t>{3, 6, 5, 5}));
  EXPECT_EQ(small.node(small.find("fc1")).params.at("weight").sizes(), (std::vector<int64_t>{120, 75}));
  // fc1's columns of conv2's channel 3 are columns 75..99 of the original.
  EXPECT_TRUE(torch::equal(small.node(small.find("fc1")).params.at("weight").narrow(1, 25, 25),
                           net.node(net.find("fc1")).params.at("weight").narrow(1, 75, 25)));
  const Cost before = total_cost(net), after = total_cost(small);
  EXPECT_EQ(before.params - after.params, 13 * (6 * 25 + 1) + 120 * 13 * 25);
  EXPECT_LT(after.macs, before.macs);
}

TEST(Slice, ResidualStageLosesChannelsEverywhere) {
  models::ModelSpec spec;
  spec.name = "resnet20";
  const Network net = models::build_model(spec);
  const Analysis a = analyze(net);
  KeepSets keep = keep_all(a);
  keep[0] = {0, 1, 2, 3, 4, 5, 6, 7};  // stage 1: 8 of 16 channels
  const Network small = slice(net, a, keep);
  EXPECT_EQ(small.node(small.find("conv1")).out_shape.front(), 8);
  EXPECT_EQ(small.node(small.find("layer1.2.add")).out_shape.front(), 8);
  EXPECT_EQ(small.node(small.find("layer2.0.downsample.0")).as<Conv2dOp>().in_channels, 8);
  EXPECT_EQ(small.node(small.find("layer1.1.conv1")).as<Conv2dOp>().out_channels, 16);  // another group
}

TEST(Slice, SlicedModelRoundTripsThroughAFile) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
  models::ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.5;
  Network net = models::build_model(spec);
  testing::randomize_batch_norms(net, gen);
  const Analysis a = analyze(net);
  const Network small = slice(net, a, random_keep(a, 0.5, gen));
  testing::TempDir dir;
  io::save_model(dir.file("small.pt"), small, {"resnet20"});
  const Network loaded = io::load_model(dir.file("small.pt")).network;
  const at::Tensor x = input_for(net, 2, gen);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(forward(small, x).output, forward(loaded, x).output));
}

TEST(Slice, SlicedCostMatchesTheSlicedNetwork) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
  for (const char* name : {"lenet5", "vgg11", "resnet20", "resnet50"}) {
    models::ModelSpec spec;
    spec.name = name;
    if (spec.name != "lenet5") spec.width = 0.25;
    if (spec.name == "resnet50") spec.input_shape = {3, 32, 32};
    const Network net = models::build_model(spec);
    const Analysis a = analyze(net);
    const KeepSets keep = random_keep(a, 0.5, gen);
    const Cost predicted = sliced_cost(net, a, keep), actual = total_cost(slice(net, a, keep));
    EXPECT_EQ(predicted.params, actual.params) << name;
    EXPECT_EQ(predicted.macs, actual.macs) << name;
  }
}

TEST(Slice, KeepSetsAreValidated) {
  models::ModelSpec spec;
  spec.name = "lenet5";
  const Network net = models::build_model(spec);
  const Analysis a = analyze(net);
  KeepSets keep = keep_all(a);
  keep[0] = {};
  EXPECT_THROW(slice(net, a, keep), Error);
  keep[0] = {2, 1};
  EXPECT_THROW(slice(net, a, keep), Error);
  keep[0] = {0, 6};
  EXPECT_THROW(slice(net, a, keep), Error);
  keep.pop_back();
  EXPECT_THROW(slice(net, a, keep), Error);
}

TEST(Slice, KeepingEverythingChangesNothing) {
  models::ModelSpec spec;
  spec.name = "vgg11";
  spec.width = 0.25;
  const Network net = models::build_model(spec);
  const Analysis a = analyze(net);
  EXPECT_TRUE(unit_masks(net, a, keep_all(a)).empty());
  const Network same = slice(net, a, keep_all(a));
  EXPECT_EQ(total_cost(same).params, total_cost(net).params);
}

}  // namespace mipp::graph
