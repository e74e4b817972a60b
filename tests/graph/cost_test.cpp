#include "mipp/graph/cost.h"

#include <gtest/gtest.h>

#include "mipp/models/zoo.h"

namespace mipp::graph {

namespace {

Cost cost_of(const Network& net, const char* node) { return node_cost(net, net.find(node)); }

Network zoo(const std::string& name, int64_t classes = 10) {
  models::ModelSpec spec;
  spec.name = name;
  spec.num_classes = classes;
  return models::build_model(spec);
}

}  // namespace

TEST(Cost, LeNet5MatchesHandCount) {
  const Network net = zoo("lenet5");
  // conv1: 6 filters 1x5x5 + 6 biases; output 6x28x28 (padding 2), 25 MACs per output value.
  EXPECT_EQ(cost_of(net, "conv1").params, 6 * 25 + 6);
  EXPECT_EQ(cost_of(net, "conv1").macs, 6 * 28 * 28 * 25);
  // conv2: 16 filters 6x5x5 on 6x14x14 -> 16x10x10.
  EXPECT_EQ(cost_of(net, "conv2").params, 16 * 6 * 25 + 16);
  EXPECT_EQ(cost_of(net, "conv2").macs, 16 * 10 * 10 * 150);
  EXPECT_EQ(cost_of(net, "fc1").params, 400 * 120 + 120);
  EXPECT_EQ(cost_of(net, "fc1").macs, 400 * 120);
  EXPECT_EQ(cost_of(net, "fc2").macs, 120 * 84);
  EXPECT_EQ(cost_of(net, "fc3").macs, 84 * 10);
  EXPECT_EQ(cost_of(net, "pool1").macs, 0);  // pooling is not counted
  const Cost total = total_cost(net);
  EXPECT_EQ(total.params, 61706);
  EXPECT_EQ(total.macs, 117600 + 240000 + 48000 + 10080 + 840);
}

TEST(Cost, ResNet20MatchesHandCount) {
  const Network net = zoo("resnet20");
  // Parameters: conv 3x3 weights, batch-norm (2 per channel), two 1x1 projection shortcuts, fc.
  const int64_t stem = 3 * 16 * 9 + 2 * 16;
  const int64_t stage1 = 6 * (16 * 16 * 9) + 6 * 2 * 16;
  const int64_t stage2 = 16 * 32 * 9 + 5 * (32 * 32 * 9) + 6 * 2 * 32 + (16 * 32 + 2 * 32);
  const int64_t stage3 = 32 * 64 * 9 + 5 * (64 * 64 * 9) + 6 * 2 * 64 + (32 * 64 + 2 * 64);
  const int64_t fc = 64 * 10 + 10;
  EXPECT_EQ(total_cost(net).params, stem + stage1 + stage2 + stage3 + fc);
  EXPECT_EQ(total_cost(net).params, 272474);

  // MACs: output positions x (input channels x 9) per conv; stages at 32x32, 16x16, 8x8.
  const int64_t macs_stem = 16 * 32 * 32 * (3 * 9);
  const int64_t macs1 = 6 * (16 * 32 * 32 * (16 * 9));
  const int64_t macs2 = 32 * 16 * 16 * (16 * 9) + 5 * (32 * 16 * 16 * (32 * 9)) + 32 * 16 * 16 * 16;
  const int64_t macs3 = 64 * 8 * 8 * (32 * 9) + 5 * (64 * 8 * 8 * (64 * 9)) + 64 * 8 * 8 * 32;
  EXPECT_EQ(total_cost(net).macs, macs_stem + macs1 + macs2 + macs3 + 64 * 10);
  EXPECT_EQ(cost_of(net, "layer2.0.downsample.0").macs, 32 * 16 * 16 * 16);
}

// Reference numbers from torchvision 0.14 (sum of p.numel(); conv and linear MACs counted by
// forward hooks on a 1x3x224x224 input), i.e. from PyTorch's own models, not from mipp.
TEST(Cost, ImageNetResNetsMatchTorchvision) {
  const struct {
    const char* name;
    int64_t params, macs;
  } cases[] = {{"resnet18", 11689512, 1814073344}, {"resnet34", 21797672, 3663761408},
               {"resnet50", 25557032, 4089184256}};
  for (const auto& c : cases) {
    const Cost cost = total_cost(zoo(c.name, 1000));
    EXPECT_EQ(cost.params, c.params) << c.name;
    EXPECT_EQ(cost.macs, c.macs) << c.name;
  }
}

TEST(Cost, GroupedConvDividesInputChannels) {
  Network net({8, 4, 4});
  Conv2dOp c;
  c.in_channels = 8;
  c.out_channels = 8;
  c.groups = 4;
  c.padding = {1, 1};
  c.bias = false;
  net.add("conv", c, {0});
  EXPECT_EQ(node_cost(net, 1).params, 8 * 2 * 9);
  EXPECT_EQ(node_cost(net, 1).macs, 8 * 4 * 4 * 2 * 9);
}

TEST(Cost, BatchNormHasParamsButNoMacs) {
  Network net({5});
  net.add("bn", BatchNormOp{5}, {0});
  EXPECT_EQ(node_cost(net, 1).params, 10);  // weight and bias; running stats are buffers
  EXPECT_EQ(node_cost(net, 1).macs, 0);
}

}  // namespace mipp::graph
