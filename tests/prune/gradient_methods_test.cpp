// SNIP and Taylor scores against finite differences of the loss, in float64 on tiny networks.
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

using testing::random_calibration;

std::vector<at::Tensor> score(const std::string& method, const graph::Network& net, const data::Dataset& d,
                              const nlohmann::json& options = nlohmann::json::object()) {
  const graph::Analysis a = graph::analyze(net);
  return make_method(method, options)->score({net, a, &d, 0, util::null_sink()});
}

double loss(const graph::Network& net, const data::Dataset& d, const graph::ForwardOptions& opt = {}) {
  torch::NoGradGuard no_grad;
  return torch::cross_entropy_loss(graph::forward(net, d.inputs, opt).output, d.labels).item<double>();
}

// dL/dc for a mask c multiplying unit u's weights and bias in every producer of group g.
double mask_derivative(const graph::Network& net, const graph::Group& g, int64_t u, const data::Dataset& d) {
  const double eps = 1e-6;
  auto scaled = [&](double c) {
    graph::Network m = net.deep_copy();
    for (int p : g.producers) {
      for (auto& [key, t] : m.node(p).params) t[u].mul_(c);
    }
    return loss(m, d);
  };
  return (scaled(1 + eps) - scaled(1 - eps)) / (2 * eps);
}

}  // namespace

TEST(SnipMethod, MatchesFiniteDifferencesOfAUnitMask) {
  const graph::Network net = testing::conv_bn_net(2);
  const data::Dataset d = random_calibration(net, 16, 3, 1);
  const auto scores = score("snip", net, d, {{"batch_size", 16}});
  const graph::Analysis a = graph::analyze(net);
  for (const graph::Group& g : a.groups) {
    for (int64_t u = 0; u < g.size; ++u) {
      const double fd = std::abs(mask_derivative(net, g, u, d));
      EXPECT_NEAR(scores[g.id][u].item<double>(), fd, 1e-3 * std::max(fd, 1e-3)) << g.name << " unit " << u;
    }
  }
}

TEST(SnipMethod, ResidualGroupsShareOneMaskAcrossProducers) {
  models::ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.125;
  const graph::Network net = testing::to_float64(models::build_model(spec));
  const data::Dataset d = random_calibration(net, 4, 10, 2);
  const auto scores = score("snip", net, d);
  const graph::Analysis a = graph::analyze(net);
  const graph::Group& stage = a.groups[0];
  ASSERT_TRUE(stage.is_residual());
  for (int64_t u = 0; u < stage.size; ++u) {
    const double fd = std::abs(mask_derivative(net, stage, u, d));
    EXPECT_NEAR(scores[0][u].item<double>(), fd, 1e-3 * std::max(fd, 1e-3)) << "unit " << u;
  }
}

TEST(TaylorMethod, MatchesFiniteDifferencesOfTheGateAfterBatchNorm) {
  const graph::Network net = testing::conv_bn_net(2);
  const data::Dataset d = random_calibration(net, 16, 3, 4);
  const auto scores = score("taylor", net, d, {{"batch_size", 16}});  // one batch: I = (dL/dg)^2
  const int bn = net.find("bn");
  for (int64_t u = 0; u < 4; ++u) {
    auto gated = [&](double value) {
      graph::ForwardOptions opt;
      at::Tensor gate = torch::ones({4}, torch::kFloat64);
      gate[u] = value;
      opt.masks[bn] = gate;
      return loss(net, d, opt);
    };
    const double eps = 1e-6;
    const double fd = (gated(1 + eps) - gated(1 - eps)) / (2 * eps);
    EXPECT_NEAR(scores[0][u].item<double>(), fd * fd, 1e-3 * std::max(fd * fd, 1e-6)) << "unit " << u;
  }
}

TEST(GradientMethods, NeedLabelledDataAndValidOptions) {
  EXPECT_TRUE(make_method("snip")->needs_labels());
  EXPECT_TRUE(make_method("taylor")->needs_data());
  testing::expect_error([] { make_method("snip", {{"reduction", "max"}}); }, ErrorKind::kInvalidArgument, {"max"});
  testing::expect_error([] { make_method("taylor", {{"batch_size", 0}}); }, ErrorKind::kInvalidArgument,
                        {"batch_size 0"});
}

TEST(GradientMethods, LeaveTheNetworkUntouched) {
  const graph::Network net = testing::conv_bn_net(2);
  const graph::Network before = net.deep_copy();
  const data::Dataset d = random_calibration(net, 8, 3, 5);
  score("snip", net, d);
  score("taylor", net, d);
  for (size_t i = 0; i < net.named_parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(net.named_parameters()[i].second, before.named_parameters()[i].second));
    EXPECT_FALSE(net.named_parameters()[i].second.grad().defined());
  }
}

}  // namespace mipp::prune
