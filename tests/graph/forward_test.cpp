#include "mipp/graph/forward.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "mipp/util/error.h"
#include "support/tiny_networks.h"

namespace mipp::graph {

namespace {

at::Tensor randn(std::vector<int64_t> shape, uint64_t seed = 1) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn(shape, gen);
}

const at::Tensor& param(const Network& net, const char* node, const char* key) {
  return net.node(net.find(node)).params.at(key);
}

const at::Tensor& buffer(const Network& net, const char* node, const char* key) {
  return net.node(net.find(node)).buffers.at(key);
}

// The all-ops network written out with torch functions, as an independent reference.
at::Tensor reference_forward(const Network& n, const at::Tensor& x) {
  namespace F = torch::nn::functional;
  const std::vector<int64_t> one = {1, 1}, two = {2, 2}, three = {3, 3}, zero = {0, 0};
  auto bn = [&](const at::Tensor& v, const char* name) {
    return torch::batch_norm(v, param(n, name, "weight"), param(n, name, "bias"), buffer(n, name, "running_mean"),
                             buffer(n, name, "running_var"), false, 0.1, 1e-5, false);
  };
  at::Tensor a = torch::relu(bn(torch::conv2d(x, param(n, "conv_a", "weight"), param(n, "conv_a", "bias"), one, one), "bn_a"));
  at::Tensor b = torch::leaky_relu(torch::conv2d(a, param(n, "conv_b", "weight"), at::Tensor(), one, one, one, 2), 0.2);
  at::Tensor s = a + b;
  at::Tensor c = torch::conv2d(s, param(n, "conv_c", "weight"), param(n, "conv_c", "bias"), one, zero, two);
  at::Tensor p = torch::cat({s, c}, 1);
  p = torch::max_pool2d(p, three, two, one);
  p = torch::avg_pool2d(p, two, one);
  p = torch::tanh(torch::sigmoid(torch::gelu(p)));
  p = torch::flatten(torch::adaptive_avg_pool2d(p, {1, 1}), 1);
  p = torch::linear(p, param(n, "fc1", "weight"), param(n, "fc1", "bias"));
  p = bn(p, "bn1d");
  return torch::linear(p, param(n, "fc2", "weight"), param(n, "fc2", "bias"));
}

}  // namespace

TEST(Forward, MatchesHandComputedMlp) {
  const Network net = testing::two_layer_mlp();
  // x = (1, 2): fc1 -> (1, 3, -1), relu -> (1, 3, 0), fc2 -> (1+3+0.5, 2-0) = (4.5, 2)
  const at::Tensor y = forward(net, torch::tensor({{1.f, 2.f}})).output;
  EXPECT_TRUE(torch::allclose(y, torch::tensor({{4.5f, 2.f}})));
}

TEST(Forward, EveryOpMatchesTorchFunctionsInEvalMode) {
  const Network net = testing::all_ops_network(3);
  const at::Tensor x = randn({5, 3, 8, 8});
  const at::Tensor got = forward(net, x).output;
  const at::Tensor want = reference_forward(net, x);
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-6);
}

// Without autograd, large inputs take the strided-view path; it must give max_pool2d's values in
// both memory layouts, with odd sizes cropped, a NaN propagated, and 2x2 and 3x3 windows.
TEST(Forward, TilingMaxPoolEqualsTorchMaxPool) {
  for (int64_t k : {2, 3}) {
    Network net({3, 67, 65});
    net.add("pool", MaxPoolOp{{k, k}, {k, k}, {0, 0}, false}, {0});
    at::Tensor x = randn({40, 3, 67, 65}, 7);
    x.index_put_({5, 1, 10, 20}, std::numeric_limits<float>::quiet_NaN());
    const at::Tensor want = torch::max_pool2d(x, {k, k}, {k, k});
    for (const auto format : {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
      torch::NoGradGuard no_grad;
      const at::Tensor got = forward(net, x.contiguous(format)).output;
      ASSERT_EQ(got.sizes(), want.sizes());
      EXPECT_TRUE(torch::equal(got.isnan(), want.isnan()));
      EXPECT_TRUE(torch::equal(got.nan_to_num(0), want.nan_to_num(0))) << "kernel " << k;
    }
  }
}

// With autograd the pool stays max_pool2d, whose gradient goes to one element of each window.
TEST(Forward, MaxPoolKeepsItsGradientInTraining) {
  Network net({1, 128, 128});
  net.add("pool", MaxPoolOp{{2, 2}, {2, 2}, {0, 0}, false}, {0});
  const at::Tensor x = torch::zeros({1, 1, 128, 128}).requires_grad_(true);  // every window a tie
  forward(net, x).output.sum().backward();
  EXPECT_EQ(x.grad().sum().item<double>(), 64 * 64);
  EXPECT_EQ(x.grad().max().item<double>(), 1.0);
}

TEST(Forward, TapsReturnIntermediateOutputs) {
  const Network net = testing::two_layer_mlp();
  ForwardOptions opt;
  opt.taps = {net.find("relu"), net.find("fc1")};
  const ForwardResult r = forward(net, torch::tensor({{1.f, 2.f}}), opt);
  EXPECT_TRUE(torch::equal(r.taps.at(net.find("fc1")), torch::tensor({{1.f, 3.f, -1.f}})));
  EXPECT_TRUE(torch::equal(r.taps.at(net.find("relu")), torch::tensor({{1.f, 3.f, 0.f}})));
}

TEST(Forward, MaskEqualsZeroingTheChannelsWeights) {
  Network net = testing::all_ops_network(4);
  const at::Tensor x = randn({4, 3, 8, 8});
  ForwardOptions opt;
  opt.masks[net.find("conv_c")] = torch::tensor({1.f, 0.f});
  const at::Tensor masked = forward(net, x, opt).output;

  torch::NoGradGuard no_grad;
  Network zeroed = net.deep_copy();
  Node& c = zeroed.node(zeroed.find("conv_c"));
  c.params.at("weight")[1].zero_();
  c.params.at("bias")[1].zero_();
  EXPECT_LE((masked - forward(zeroed, x).output).abs().max().item<double>(), 1e-6);
  EXPECT_GT((masked - forward(net, x).output).abs().max().item<double>(), 1e-4);  // the mask did something
}

TEST(Forward, MaskedTapShowsZeroedChannel) {
  const Network net = testing::all_ops_network();
  ForwardOptions opt;
  const int relu = net.find("relu_a");
  opt.masks[relu] = torch::tensor({0.f, 1.f, 1.f, 1.f});
  opt.taps = {relu};
  const ForwardResult r = forward(net, randn({2, 3, 8, 8}), opt);
  EXPECT_EQ(r.taps.at(relu).select(1, 0).abs().sum().item<double>(), 0.0);
  EXPECT_GT(r.taps.at(relu).select(1, 1).abs().sum().item<double>(), 0.0);
}

TEST(Forward, SubstitutedParametersReceiveTheGradient) {
  const Network net = testing::two_layer_mlp();
  const at::Tensor own = net.node(net.find("fc2")).params.at("weight");
  std::unordered_map<std::string, at::Tensor> subs = {{"fc2.weight", (own * 2).requires_grad_()}};
  ForwardOptions opt;
  opt.parameters = &subs;
  const at::Tensor y = forward(net, torch::tensor({{1.f, 2.f}}), opt).output;
  EXPECT_TRUE(torch::allclose(y, torch::tensor({{8.5f, 4.f}})));  // fc2 doubled: (9 + 0.5, 4)
  y.sum().backward();
  // d(sum y)/d W2[i][j] = relu(h)[j] for both rows: (1, 3, 0)
  EXPECT_TRUE(torch::equal(subs.at("fc2.weight").grad(), torch::tensor({{1.f, 3.f, 0.f}, {1.f, 3.f, 0.f}})));
  EXPECT_FALSE(own.grad().defined());
}

TEST(Forward, RejectsSubstituteOfWrongShape) {
  const Network net = testing::two_layer_mlp();
  std::unordered_map<std::string, at::Tensor> subs = {{"fc2.weight", torch::zeros({3, 3})}};
  ForwardOptions opt;
  opt.parameters = &subs;
  EXPECT_THROW(forward(net, torch::zeros({1, 2}), opt), Error);
}

TEST(Forward, TrainingModeUsesBatchStatisticsAndUpdatesRunningStats) {
  Network net({3});
  net.add("bn", BatchNormOp{3}, {0});
  const at::Tensor x = randn({64, 3}) * 2 + 5;
  ForwardOptions train;
  train.training = true;
  const at::Tensor y = forward(net, x, train).output;
  EXPECT_LE(y.mean(0).abs().max().item<double>(), 1e-5);  // normalised by the batch's own mean
  const at::Tensor& mean = net.node(1).buffers.at("running_mean");
  EXPECT_TRUE(torch::allclose(mean, 0.1 * x.mean(0), 1e-5, 1e-6));  // momentum 0.1 from 0

  const at::Tensor before = mean.clone();
  train.update_running_stats = false;
  forward(net, x, train);
  EXPECT_TRUE(torch::equal(mean, before));
}

TEST(Forward, DropoutIsSeededInTrainingAndInactiveInEval) {
  Network net({1000});
  net.add("drop", DropoutOp{0.5}, {0});
  const at::Tensor x = torch::ones({2, 1000});
  EXPECT_TRUE(torch::equal(forward(net, x).output, x));
  ForwardOptions opt;
  opt.training = true;
  opt.generator = at::make_generator<at::CPUGeneratorImpl>(42);
  const at::Tensor a = forward(net, x, opt).output;
  opt.generator = at::make_generator<at::CPUGeneratorImpl>(42);
  const at::Tensor b = forward(net, x, opt).output;
  EXPECT_TRUE(torch::equal(a, b));
  const double kept = (a > 0).to(torch::kFloat).mean().item<double>();
  EXPECT_NEAR(kept, 0.5, 0.05);
  EXPECT_NEAR(a.max().item<double>(), 2.0, 1e-6);  // survivors scaled by 1/(1-p)
}

TEST(Forward, RejectsInputOfWrongShape) {
  const Network net = testing::all_ops_network();
  try {
    forward(net, torch::zeros({2, 3, 9, 8}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3, 9, 8]"), std::string::npos) << e.what();
  }
}

TEST(Forward, RejectsMaskOfWrongSize) {
  const Network net = testing::all_ops_network();
  ForwardOptions opt;
  opt.masks[net.find("conv_a")] = torch::ones({3});
  EXPECT_THROW(forward(net, torch::zeros({1, 3, 8, 8}), opt), Error);
}

}  // namespace mipp::graph
