#include "support/tiny_networks.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "mipp/models/zoo.h"

namespace mipp::testing {

using namespace graph;

Network all_ops_network(uint64_t seed) {
  Network net({3, 8, 8});
  Conv2dOp a;
  a.in_channels = 3;
  a.out_channels = 4;
  a.padding = {1, 1};
  int x = net.add("conv_a", a, {0});
  x = net.add("bn_a", BatchNormOp{4}, {x});
  x = net.add("relu_a", ActivationOp{}, {x});
  Conv2dOp b;
  b.in_channels = 4;
  b.out_channels = 4;
  b.padding = {1, 1};
  b.groups = 2;
  b.bias = false;
  int y = net.add("conv_b", b, {x});
  y = net.add("leaky_b", ActivationOp{ActivationKind::kLeakyRelu, 0.2}, {y});
  int s = net.add("add", AddOp{}, {x, y});
  Conv2dOp c;
  c.in_channels = 4;
  c.out_channels = 2;
  c.kernel = {1, 1};
  c.dilation = {2, 2};
  int z = net.add("conv_c", c, {s});
  int cat = net.add("concat", ConcatOp{}, {s, z});  // [6, 8, 8]
  int p = net.add("max_pool", MaxPoolOp{{3, 3}, {2, 2}, {1, 1}}, {cat});  // [6, 4, 4]
  p = net.add("avg_pool", AvgPoolOp{{2, 2}, {1, 1}, {0, 0}}, {p});       // [6, 3, 3]
  p = net.add("gelu", ActivationOp{ActivationKind::kGelu}, {p});
  p = net.add("sigmoid", ActivationOp{ActivationKind::kSigmoid}, {p});
  p = net.add("tanh", ActivationOp{ActivationKind::kTanh}, {p});
  p = net.add("dropout", DropoutOp{0.25}, {p});
  p = net.add("identity", IdentityOp{}, {p});
  p = net.add("pool", AdaptiveAvgPoolOp{{1, 1}}, {p});
  p = net.add("flatten", FlattenOp{}, {p});
  p = net.add("fc1", LinearOp{6, 5, true}, {p});
  p = net.add("bn1d", BatchNormOp{5}, {p});
  net.add("fc2", LinearOp{5, 3, true}, {p});
  models::initialize(net, seed);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
  randomize_batch_norms(net, gen);
  return net;
}

void randomize_batch_norms(Network& net, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  for (int id = 0; id < net.num_nodes(); ++id) {
    Node& n = net.node(id);
    if (!n.is<BatchNormOp>()) continue;
    n.params["weight"].uniform_(0.5, 1.5, gen);
    n.params["bias"].uniform_(-1.0, 1.0, gen);
    n.buffers["running_mean"].uniform_(-0.5, 0.5, gen);
    n.buffers["running_var"].uniform_(0.5, 2.0, gen);
  }
}

Network to_float64(const Network& net) {
  Network d = net.deep_copy();
  for (int id = 0; id < d.num_nodes(); ++id) {
    Node& n = d.node(id);
    for (auto& [key, t] : n.params) t = t.to(torch::kFloat64);
    for (auto& [key, t] : n.buffers) t = t.to(torch::kFloat64);
  }
  return d;
}

Network conv_bn_net(uint64_t seed) {
  Network net({3, 4, 4});
  Conv2dOp c;
  c.in_channels = 3;
  c.out_channels = 4;
  c.padding = {1, 1};
  int x = net.add("conv", c, {0});
  x = net.add("bn", BatchNormOp{4}, {x});
  x = net.add("relu", ActivationOp{}, {x});
  x = net.add("flatten", FlattenOp{}, {x});
  net.add("fc", LinearOp{64, 3}, {x});
  models::initialize(net, seed);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
  randomize_batch_norms(net, gen);
  return to_float64(net);
}

Network two_layer_mlp() {
  Network net({2});
  int h = net.add("fc1", LinearOp{2, 3, true}, {0});
  h = net.add("relu", ActivationOp{}, {h});
  net.add("fc2", LinearOp{3, 2, true}, {h});
  net.set_tensor(1, "weight", torch::tensor({{1.f, 0.f}, {0.f, 1.f}, {1.f, -1.f}}));
  net.set_tensor(1, "bias", torch::tensor({0.f, 1.f, 0.f}));
  net.set_tensor(3, "weight", torch::tensor({{1.f, 1.f, 1.f}, {2.f, 0.f, -1.f}}));
  net.set_tensor(3, "bias", torch::tensor({0.5f, 0.f}));
  return net;
}

data::Dataset random_calibration(const graph::Network& net, int64_t n, int64_t classes, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  data::Dataset d;
  d.name = "random";
  d.num_classes = classes;
  d.inputs = torch::randn(shape, gen).to(torch::kFloat64);
  d.labels = torch::randint(classes, {n}, gen, torch::kLong);
  return d;
}

}  // namespace mipp::testing
