#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

#include "mipp/models/zoo.h"
#include "mipp/util/seed.h"

namespace mipp::models {

namespace {

// PyTorch's default for nn.Linear and nn.Conv2d biases, and for nn.Linear weights
// (kaiming_uniform_ with a = sqrt(5) reduces to the same bound): U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void fill_default_uniform(at::Tensor& t, int64_t fan_in, at::Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  t.uniform_(-bound, bound, gen);
}

}  // namespace

void initialize(graph::Network& net, uint64_t seed) {
  at::NoGradGuard no_grad;
  // Drawn on the CPU, so a seed gives the same weights on every device.
  const c10::Device device = net.device();
  net.to(c10::Device(c10::kCPU));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(seed, "init"));
  for (int id = 0; id < net.num_nodes(); ++id) {
    graph::Node& node = net.node(id);
    if (node.is<graph::Conv2dOp>()) {
      const auto& c = node.as<graph::Conv2dOp>();
      const int64_t receptive = c.kernel[0] * c.kernel[1];
      // torchvision's ResNet/VGG init: kaiming_normal_(mode="fan_out", nonlinearity="relu").
      const double std = std::sqrt(2.0 / static_cast<double>(c.out_channels * receptive));
      node.params.at("weight").normal_(0.0, std, gen);
      if (c.bias) fill_default_uniform(node.params.at("bias"), (c.in_channels / c.groups) * receptive, gen);
    } else if (node.is<graph::LinearOp>()) {
      const auto& l = node.as<graph::LinearOp>();
      fill_default_uniform(node.params.at("weight"), l.in_features, gen);
      if (l.bias) fill_default_uniform(node.params.at("bias"), l.in_features, gen);
    } else if (node.is<graph::BatchNormOp>()) {
      node.params.at("weight").fill_(1.0);
      node.params.at("bias").zero_();
      node.buffers.at("running_mean").zero_();
      node.buffers.at("running_var").fill_(1.0);
    }
  }
  net.to(device);
}

}  // namespace mipp::models
