#include "mipp/graph/network.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/util/error.h"
#include "support/tiny_networks.h"

namespace mipp::graph {

namespace {

// The message of the mipp::Error `fn` throws, or "" when it throws none.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Network, InfersShapesOfEveryOp) {
  const Network net = testing::all_ops_network();
  auto shape = [&](const char* name) { return net.node(net.find(name)).out_shape; };
  EXPECT_EQ(shape("conv_a"), (Shape{4, 8, 8}));
  EXPECT_EQ(shape("conv_c"), (Shape{2, 8, 8}));  // 1x1 kernel: dilation changes nothing
  EXPECT_EQ(shape("concat"), (Shape{6, 8, 8}));
  EXPECT_EQ(shape("max_pool"), (Shape{6, 4, 4}));
  EXPECT_EQ(shape("avg_pool"), (Shape{6, 3, 3}));
  EXPECT_EQ(shape("pool"), (Shape{6, 1, 1}));
  EXPECT_EQ(shape("flatten"), (Shape{6}));
  EXPECT_EQ(net.output_shape(), (Shape{3}));
}

TEST(Network, StridedDilatedConvFollowsPyTorchFormula) {
  Network net({1, 17, 17});
  Conv2dOp c;
  c.in_channels = 1;
  c.out_channels = 2;
  c.kernel = {3, 3};
  c.stride = {2, 2};
  c.padding = {1, 1};
  c.dilation = {2, 2};
  net.add("conv", c, {0});
  // floor((17 + 2 - 2*2 - 1) / 2) + 1 = 8
  EXPECT_EQ(net.output_shape(), (Shape{2, 8, 8}));
}

TEST(Network, CreatesParametersWithTheirShapes) {
  const Network net = testing::all_ops_network();
  const Node& b = net.node(net.find("conv_b"));
  EXPECT_EQ(b.params.at("weight").sizes(), (std::vector<int64_t>{4, 2, 3, 3}));  // groups 2
  EXPECT_EQ(b.params.count("bias"), 0u);
  const Node& bn = net.node(net.find("bn_a"));
  EXPECT_EQ(bn.buffers.size(), 2u);
  EXPECT_EQ(net.node(net.find("fc1")).params.at("weight").sizes(), (std::vector<int64_t>{5, 6}));
}

TEST(Network, RejectsMismatchedInputsNamingTheNode) {
  Network net({3, 8, 8});
  Conv2dOp c;
  c.in_channels = 4;
  c.out_channels = 8;
  EXPECT_NE(error_of([&] { net.add("conv1", c, {0}); }).find("node conv1"), std::string::npos);
  EXPECT_NE(error_of([&] { net.add("fc", LinearOp{10, 2}, {0}); }).find("flatten first"), std::string::npos);
  EXPECT_NE(error_of([&] { net.add("pool", MaxPoolOp{{16, 16}, {1, 1}, {0, 0}}, {0}); }).find("too small"),
            std::string::npos);
  int f = net.add("flatten", FlattenOp{}, {0});
  EXPECT_NE(error_of([&] { net.add("add", AddOp{}, {0, f}); }).find("cannot add"), std::string::npos);
  EXPECT_NE(error_of([&] { net.add("later", IdentityOp{}, {7}); }).find("does not exist"), std::string::npos);
}

TEST(Network, RejectsDuplicateAndInvalidNames) {
  Network net({4});
  net.add("a", IdentityOp{}, {0});
  EXPECT_NE(error_of([&] { net.add("a", IdentityOp{}, {0}); }).find("used twice"), std::string::npos);
  EXPECT_NE(error_of([&] { net.add("a b", IdentityOp{}, {0}); }).find("letters"), std::string::npos);
}

TEST(Network, RejectsBadInputShapes) {
  EXPECT_THROW(Network({3, 32}), Error);
  EXPECT_THROW(Network({0, 32, 32}), Error);
}

// Sizes used to wrap around (a 3x40000x40000 input gave a linear layer of 505032704 inputs) or
// reach the allocator (a model file's 2^40 channels): every shape is checked when it is made.
TEST(Network, RejectsShapesBeyondTheElementLimit) {
  EXPECT_NE(error_of([] { Network({3, 400000, 400000}); }).find("input shape [3, 400000, 400000] has 480000000000 elements"),
            std::string::npos);
  EXPECT_NE(error_of([] { Network({3, int64_t{1} << 62, int64_t{1} << 62}); }).find("over 2^63"), std::string::npos);
  EXPECT_NE(error_of([] { Network({3, 40000, 40000}); }).find("4800000000 elements"), std::string::npos);
  EXPECT_EQ(error_of([] { Network({3, 16384, 16384}); }), "");  // 805M elements: large, but within the limit
}

TEST(Network, RejectsLayersBeyondTheElementLimit) {
  Network net({8});
  EXPECT_NE(error_of([&] { net.add("fc", LinearOp{8, int64_t{1} << 40}, {0}); }).find("node fc: output [1099511627776]"),
            std::string::npos);
  Network wide_input({int64_t{1} << 20});
  EXPECT_NE(error_of([&] { wide_input.add("fc", LinearOp{int64_t{1} << 20, 4096}, {0}); })
                .find("node fc: weight [4096, 1048576] has 4294967296 elements"),
            std::string::npos);
  Network image({3, 64, 64});
  Conv2dOp wide;
  wide.in_channels = 3;
  wide.out_channels = int64_t{1} << 30;
  EXPECT_NE(error_of([&] { image.add("conv", wide, {0}); }).find("node conv: output"), std::string::npos);
  EXPECT_EQ(net.num_nodes(), 1);
  EXPECT_EQ(image.num_nodes(), 1);
}

TEST(Network, ListsConsumers) {
  const Network net = testing::all_ops_network();
  const int relu = net.find("relu_a");
  EXPECT_EQ(net.consumers(relu), (std::vector<int>{net.find("conv_b"), net.find("add")}));
}

TEST(Network, SetTensorChecksShape) {
  Network net = testing::two_layer_mlp();
  EXPECT_THROW(net.set_tensor(1, "weight", torch::zeros({2, 2})), Error);
  EXPECT_THROW(net.set_tensor(1, "gamma", torch::zeros({3})), Error);
  net.set_tensor(1, "bias", torch::ones({3}));
  EXPECT_TRUE(torch::equal(net.node(1).params.at("bias"), torch::ones({3})));
}

TEST(Network, DeepCopyIsIndependent) {
  Network net = testing::two_layer_mlp();
  Network copy = net.deep_copy();
  copy.node(1).params.at("bias").fill_(7);
  EXPECT_FLOAT_EQ(net.node(1).params.at("bias")[1].item<float>(), 1.0f);
}

TEST(Network, NamesParametersByNodeAndKey) {
  const Network net = testing::two_layer_mlp();
  std::vector<std::string> names;
  for (const auto& [name, t] : net.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"}));
}

}  // namespace mipp::graph
