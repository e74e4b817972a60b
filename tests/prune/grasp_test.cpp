// GraSP's unit scores against finite differences of the gradient norm, in float64 on a tiny net.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/method.h"
#include "support/tiny_networks.h"

namespace mipp::prune {

// GraSP's score of unit u is half the derivative of g^T g (g: the gradient of the temperature-scaled
// loss over the conv and linear weights, train mode) with respect to a mask scaling u's weights.
TEST(GraspMethod, MatchesFiniteDifferencesOfTheGradientNorm) {
  const graph::Network dnet = testing::conv_bn_net(5);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(9);
  data::Dataset d;
  d.name = "random";
  d.num_classes = 3;
  d.inputs = torch::randn({12, 3, 4, 4}, gen).to(torch::kFloat64);
  d.labels = torch::arange(12) % 3;
  const double temperature = 2.0;  // the default 200 makes g tiny; the formula is the same
  const graph::Analysis a = graph::analyze(dnet);
  const auto scores = make_method("grasp", {{"temperature", temperature}, {"samples_per_class", 4}})
                          ->score({dnet, a, &d, 0, util::null_sink()});

  auto gradient_norm = [&](int64_t unit, const std::string& producer, double scale) {
    graph::Network m = dnet.deep_copy();
    m.node(m.find(producer)).params.at("weight")[unit].mul_(scale);
    std::vector<at::Tensor> weights;
    std::unordered_map<std::string, at::Tensor> params;
    for (const auto& [name, t] : m.named_parameters()) params[name] = t.clone().requires_grad_(true);
    for (const char* n : {"conv", "fc"}) weights.push_back(params.at(std::string(n) + ".weight"));
    graph::ForwardOptions opt;
    opt.training = true;
    opt.update_running_stats = false;
    opt.parameters = &params;
    const at::Tensor l = torch::cross_entropy_loss(graph::forward(m, d.inputs, opt).output / temperature, d.labels);
    double norm = 0;
    for (const at::Tensor& gw : torch::autograd::grad({l}, weights)) norm += gw.pow(2).sum().item<double>();
    return norm;
  };
  for (const graph::Group& g : a.groups) {
    const std::string producer = dnet.node(g.producers.front()).name;
    for (int64_t u = 0; u < g.size; ++u) {
      const double eps = 1e-5;
      const double fd = (gradient_norm(u, producer, 1 + eps) - gradient_norm(u, producer, 1 - eps)) / (2 * eps) / 2;
      EXPECT_NEAR(scores[g.id][u].item<double>(), fd, 1e-3 * std::max(std::abs(fd), 1e-9)) << g.name << " unit " << u;
    }
  }
}

}  // namespace mipp::prune
