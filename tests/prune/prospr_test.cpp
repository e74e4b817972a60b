// ProsPr's meta-gradient against finite differences through the unrolled SGD steps, in float64.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/method.h"
#include "support/expect_error.h"
#include "support/tiny_networks.h"

namespace mipp::prune {

namespace {

struct ProsprSetup {
  graph::Network net{{3, 4, 4}};
  data::Dataset data;
};

ProsprSetup make_setup() {
  ProsprSetup s;
  graph::Conv2dOp c;
  c.in_channels = 3;
  c.out_channels = 4;
  c.padding = {1, 1};
  int x = s.net.add("conv", c, {0});
  x = s.net.add("bn", graph::BatchNormOp{4}, {x});
  x = s.net.add("relu", graph::ActivationOp{}, {x});
  x = s.net.add("flatten", graph::FlattenOp{}, {x});
  x = s.net.add("fc1", graph::LinearOp{64, 5}, {x});
  x = s.net.add("relu2", graph::ActivationOp{}, {x});
  s.net.add("fc2", graph::LinearOp{5, 3}, {x});
  models::initialize(s.net, 6);
  s.net = testing::to_float64(s.net);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(8);
  s.data.name = "random";
  s.data.num_classes = 3;
  s.data.inputs = torch::randn({24, 3, 4, 4}, gen).to(torch::kFloat64);
  s.data.labels = torch::randint(3, {24}, gen, torch::kLong);
  return s;
}

// The loss after `steps` plain SGD steps (batches of 8, train mode) from weights with unit u of
// group g scaled by `scale`.
double loss_after_steps(const ProsprSetup& s, const graph::Group& g, int64_t u, double scale, int steps, double lr) {
  std::unordered_map<std::string, at::Tensor> params;
  for (const auto& [name, t] : s.net.named_parameters()) params[name] = t.clone();
  for (int p : g.producers) {
    for (const auto& [key, t] : s.net.node(p).params) params[s.net.node(p).name + "." + key][u].mul_(scale);
  }
  graph::ForwardOptions opt;
  opt.training = true;
  opt.update_running_stats = false;
  opt.parameters = &params;
  auto loss = [&](int batch) {
    return torch::cross_entropy_loss(graph::forward(s.net, s.data.inputs.narrow(0, 8 * batch, 8), opt).output,
                                     s.data.labels.narrow(0, 8 * batch, 8));
  };
  for (int k = 0; k < steps; ++k) {
    std::vector<at::Tensor> leaves;
    for (auto& [name, t] : params) leaves.push_back(t.requires_grad_(true));
    const auto grads = torch::autograd::grad({loss(k)}, leaves);
    size_t i = 0;
    for (auto& [name, t] : params) t = (t - lr * grads[i++]).detach();
  }
  torch::NoGradGuard no_grad;
  return loss(steps).item<double>();
}

}  // namespace

TEST(ProsprMethod, MetaGradientMatchesFiniteDifferencesThroughTheSteps) {
  const ProsprSetup s = make_setup();
  const graph::Analysis a = graph::analyze(s.net);
  const auto scores = make_method("prospr", {{"steps", 2}, {"batch_size", 8}, {"inner_lr", 0.1}})
                          ->score({s.net, a, &s.data, 0, util::null_sink()});
  for (const graph::Group& g : a.groups) {
    for (int64_t u = 0; u < g.size; ++u) {
      const double eps = 1e-6;
      const double fd = (loss_after_steps(s, g, u, 1 + eps, 2, 0.1) - loss_after_steps(s, g, u, 1 - eps, 2, 0.1)) /
                        (2 * eps);
      EXPECT_NEAR(scores[g.id][u].item<double>(), std::abs(fd), 1e-3 * std::max(std::abs(fd), 1e-6))
          << g.name << " unit " << u;
    }
  }
}

TEST(ProsprMethod, FirstOrderDiffersFromFullAndNeedsEnoughData) {
  const ProsprSetup s = make_setup();
  const graph::Analysis a = graph::analyze(s.net);
  const auto full = make_method("prospr", {{"steps", 2}, {"batch_size", 8}})->score({s.net, a, &s.data, 0, util::null_sink()});
  const auto first = make_method("prospr", {{"steps", 2}, {"batch_size", 8}, {"mode", "first-order"}})
                         ->score({s.net, a, &s.data, 0, util::null_sink()});
  EXPECT_FALSE(torch::allclose(full[0], first[0]));
  testing::expect_error(
      [&] { make_method("prospr", {{"steps", 3}, {"batch_size", 8}})->score({s.net, a, &s.data, 0, util::null_sink()}); },
      ErrorKind::kInvalidArgument, {"need 32 calibration samples, got 24"});
}

}  // namespace mipp::prune
