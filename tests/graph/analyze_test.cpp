#include "mipp/graph/analyze.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mipp/models/zoo.h"
#include "support/tiny_networks.h"

namespace mipp::graph {

namespace {

Network zoo(const std::string& name, double width = 1.0) {
  models::ModelSpec spec;
  spec.name = name;
  spec.width = width;
  return models::build_model(spec);
}

std::vector<std::string> names_of(const Network& net, const std::vector<int>& ids) {
  std::vector<std::string> out;
  for (int id : ids) out.push_back(net.node(id).name);
  return out;
}

std::vector<std::string> names_of(const Network& net, const std::vector<ChannelSlice>& slices) {
  std::vector<std::string> out;
  for (const ChannelSlice& s : slices) out.push_back(net.node(s.node).name);
  return out;
}

}  // namespace

TEST(Analyze, LeNet5HasOneGroupPerHiddenLayer) {
  const Network net = zoo("lenet5");
  const Analysis a = analyze(net);
  ASSERT_EQ(a.groups.size(), 4u);
  const std::vector<std::pair<std::string, int64_t>> expected = {{"conv1", 6}, {"conv2", 16}, {"fc1", 120}, {"fc2", 84}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(a.groups[i].name, expected[i].first);
    EXPECT_EQ(a.groups[i].size, expected[i].second);
    EXPECT_FALSE(a.groups[i].is_residual());
  }
  // conv2 -> relu -> pool [16, 5, 5] -> flatten: unit u is fc1's input columns [25u, 25u + 25).
  const Group& conv2 = a.groups[1];
  ASSERT_EQ(conv2.consumers.size(), 1u);
  EXPECT_EQ(net.node(conv2.consumers[0].node).name, "fc1");
  EXPECT_EQ(conv2.consumers[0].offset, 0);
  EXPECT_EQ(conv2.consumers[0].span, 25);
  EXPECT_EQ(names_of(net, a.groups[0].consumers), std::vector<std::string>{"conv2"});
  EXPECT_EQ(a.frozen.size(), 2u);  // the input and fc3's outputs
}

TEST(Analyze, Vgg11GroupsAreConvsWithTheirBatchNorm) {
  const Network net = zoo("vgg11", 0.25);
  const Analysis a = analyze(net);
  ASSERT_EQ(a.groups.size(), 8u);
  const std::vector<std::string> convs = {"features.0",  "features.4",  "features.8",  "features.11",
                                          "features.15", "features.18", "features.22", "features.25"};
  for (size_t i = 0; i < convs.size(); ++i) {
    const Group& g = a.groups[i];
    EXPECT_EQ(g.name, convs[i]);
    // The batch-norm right after the conv holds the group's per-channel entries.
    const int conv_index = std::stoi(convs[i].substr(std::string("features.").size()));
    EXPECT_EQ(names_of(net, g.per_channel), std::vector<std::string>{fmt::format("features.{}", conv_index + 1)})
        << g.name;
    const std::string consumer = i + 1 < convs.size() ? convs[i + 1] : "classifier";
    EXPECT_EQ(names_of(net, g.consumers), std::vector<std::string>{consumer});
  }
  EXPECT_EQ(a.groups.back().consumers[0].span, 1);  // after global pooling, one feature per channel
}

TEST(Analyze, ResNet20CouplesEachStageThroughItsAdds) {
  const Network net = zoo("resnet20");
  const Analysis a = analyze(net);
  // Per stage: one residual group (stem or shortcut + every block's conv2) and three block-internal
  // groups (each block's conv1).
  ASSERT_EQ(a.groups.size(), 12u);
  int residual = 0;
  for (const Group& g : a.groups) {
    if (!g.is_residual()) {
      EXPECT_NE(g.name.find(".conv1"), std::string::npos) << g.name;
      EXPECT_EQ(g.consumers.size(), 1u) << g.name;  // the block's conv2
      continue;
    }
    ++residual;
  }
  EXPECT_EQ(residual, 3);
  const Group& stage1 = a.groups[0];
  EXPECT_EQ(stage1.name, "conv1");
  EXPECT_EQ(names_of(net, stage1.producers),
            (std::vector<std::string>{"conv1", "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2"}));
  // Read by every block's conv1 in the stage and by the next stage's first block and shortcut.
  EXPECT_EQ(names_of(net, stage1.consumers),
            (std::vector<std::string>{"layer1.0.conv1", "layer1.1.conv1", "layer1.2.conv1", "layer2.0.conv1",
                                      "layer2.0.downsample.0"}));
  const Group& stage2 = a.groups[5];  // after stage 1's four groups and layer2.0.conv1
  EXPECT_EQ(stage2.name, "layer2.0.conv2");
  EXPECT_EQ(names_of(net, stage2.producers),
            (std::vector<std::string>{"layer2.0.conv2", "layer2.0.downsample.0", "layer2.1.conv2", "layer2.2.conv2"}));
  EXPECT_EQ(stage2.size, 32);
  EXPECT_EQ(stage2.per_channel.size(), 4u);  // bn2 of each block and the shortcut's batch-norm
  const Group& stage3 = a.groups[9];  // after stage 2's four groups and layer3.0.conv1
  EXPECT_EQ(stage3.name, "layer3.0.conv2");
  EXPECT_TRUE(stage3.is_residual());
  EXPECT_EQ(names_of(net, stage3.consumers),
            (std::vector<std::string>{"layer3.1.conv1", "layer3.2.conv1", "fc"}));  // layer3.0 reads stage 2
}

TEST(Analyze, ConcatShiftsOffsetsAndGroupedConvsAreFrozen) {
  const Network net = testing::all_ops_network();
  const Analysis a = analyze(net);
  // conv_a and conv_b are tied to the grouped conv_b (2 groups, not depthwise): frozen. conv_c's
  // units land after the 4 channels of `add` in the concat, and fc1 reads them at offset 4.
  ASSERT_EQ(a.groups.size(), 2u);
  EXPECT_EQ(a.groups[0].name, "conv_c");
  ASSERT_EQ(a.groups[0].consumers.size(), 1u);
  EXPECT_EQ(net.node(a.groups[0].consumers[0].node).name, "fc1");
  EXPECT_EQ(a.groups[0].consumers[0].offset, 4);
  EXPECT_EQ(a.groups[1].name, "fc1");
  EXPECT_EQ(names_of(net, a.groups[1].per_channel), std::vector<std::string>{"bn1d"});
  bool grouped_reason = false;
  for (const std::string& why : a.frozen) grouped_reason |= why.find("grouped conv") != std::string::npos;
  EXPECT_TRUE(grouped_reason);
}

TEST(Analyze, DepthwiseConvFollowsItsInputGroup) {
  Network net({3, 8, 8});
  Conv2dOp a;
  a.in_channels = 3;
  a.out_channels = 6;
  int x = net.add("pw", a, {0});
  Conv2dOp dw;
  dw.in_channels = dw.out_channels = dw.groups = 6;
  dw.padding = {1, 1};
  x = net.add("dw", dw, {x});
  x = net.add("pool", AdaptiveAvgPoolOp{}, {x});
  x = net.add("flatten", FlattenOp{}, {x});
  net.add("fc", LinearOp{6, 2}, {x});
  const Analysis an = analyze(net);
  ASSERT_EQ(an.groups.size(), 1u);
  EXPECT_EQ(names_of(net, an.groups[0].per_channel), std::vector<std::string>{"dw"});
  EXPECT_EQ(names_of(net, an.groups[0].consumers), std::vector<std::string>{"fc"});
}

TEST(Analyze, EveryZooModelHasGroupsAndNeverTheOutputs) {
  for (const models::ZooEntry& e : models::zoo_entries()) {
    models::ModelSpec spec;
    spec.name = e.name;
    if (e.name.rfind("vgg", 0) == 0 || e.name.rfind("resnet", 0) == 0) spec.width = 0.125;
    const Network net = models::build_model(spec);
    const Analysis a = analyze(net);
    EXPECT_FALSE(a.groups.empty()) << e.name;
    for (const Group& g : a.groups) {
      for (int p : g.producers) EXPECT_NE(p, net.output()) << e.name;
    }
  }
}

}  // namespace mipp::graph
