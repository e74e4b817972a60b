// SOSP-H's unit scores against finite differences of the loss, the logits and the gradient, in
// float64 on tiny networks, for both curvatures.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/forward.h"
#include "mipp/prune/method.h"
#include "support/expect_error.h"
#include "support/tiny_networks.h"

namespace mipp::prune {

namespace {

using testing::random_calibration;

bool is_weighted(const graph::Node& n) { return n.is<graph::Conv2dOp>() || n.is<graph::LinearOp>(); }

// A copy of `net` with the weights moved by eps * P_u θ (unit u of `group`, in all its producers),
// or by eps * θ (every conv and linear weight) when group is null. Biases and batch-norm unchanged.
graph::Network perturbed(const graph::Network& net, const graph::Group* group, int64_t u, double eps) {
  graph::Network m = net.deep_copy();
  if (group != nullptr) {
    for (int p : group->producers) m.node(p).params.at("weight")[u].mul_(1 + eps);
  } else {
    for (size_t i = 0; i < m.nodes().size(); ++i) {
      if (is_weighted(m.node(static_cast<int>(i)))) m.node(static_cast<int>(i)).params.at("weight").mul_(1 + eps);
    }
  }
  return m;
}

at::Tensor logits(const graph::Network& net, const data::Dataset& d) {
  torch::NoGradGuard no_grad;
  return graph::forward(net, d.inputs).output;  // eval mode
}

double loss(const graph::Network& net, const data::Dataset& d) {
  return torch::cross_entropy_loss(logits(net, d), d.labels).item<double>();
}

// ∇L over the weights of `net`'s producers of `group`, by producer, at `net`'s own weights.
std::vector<at::Tensor> producer_gradients(const graph::Network& net, const graph::Group& group,
                                           const data::Dataset& d) {
  std::unordered_map<std::string, at::Tensor> params;
  std::vector<at::Tensor> weights;
  for (int p : group.producers) {
    weights.push_back(net.node(p).params.at("weight").clone().requires_grad_(true));
    params[net.node(p).name + ".weight"] = weights.back();
  }
  graph::ForwardOptions opt;
  opt.parameters = &params;
  return torch::autograd::grad({torch::cross_entropy_loss(graph::forward(net, d.inputs, opt).output, d.labels)},
                               weights);
}

// The three terms of unit u's score, from finite differences (central, step eps).
struct Terms {
  double first;         // θᵀP_u g = d/de L(θ + e P_u θ)
  double gauss_newton;  // θᵀP_u G θ = mean over samples of (J P_u θ)ᵀ Λ (J θ)
  double hessian;       // θᵀP_u H θ = d/de θᵀP_u ∇L(θ + e θ)
};

Terms finite_difference_terms(const graph::Network& net, const graph::Group& group, int64_t u, const data::Dataset& d) {
  const double eps = 1e-5;
  Terms t;
  t.first = (loss(perturbed(net, &group, u, eps), d) - loss(perturbed(net, &group, u, -eps), d)) / (2 * eps);

  // J P_u θ and J θ [N, C]: central differences of the logits along P_u θ and along θ.
  const at::Tensor j_unit =
      (logits(perturbed(net, &group, u, eps), d) - logits(perturbed(net, &group, u, -eps), d)) / (2 * eps);
  const at::Tensor j_all =
      (logits(perturbed(net, nullptr, 0, eps), d) - logits(perturbed(net, nullptr, 0, -eps), d)) / (2 * eps);
  const at::Tensor p = torch::softmax(logits(net, d), 1);  // Λ = diag(p) - p pᵀ per sample
  const at::Tensor lambda_j_all = p * j_all - p * (p * j_all).sum(1, true);
  t.gauss_newton = (j_unit * lambda_j_all).sum(1).mean().item<double>();

  const std::vector<at::Tensor> plus = producer_gradients(perturbed(net, nullptr, 0, eps), group, d);
  const std::vector<at::Tensor> minus = producer_gradients(perturbed(net, nullptr, 0, -eps), group, d);
  t.hessian = 0;
  for (size_t i = 0; i < group.producers.size(); ++i) {
    const at::Tensor theta_u = net.node(group.producers[i]).params.at("weight")[u];
    t.hessian += (theta_u * (plus[i][u] - minus[i][u])).sum().item<double>() / (2 * eps);
  }
  return t;
}

// Scores the net with both curvatures in uneven batches (16 samples in batches of 5: the last
// batch of 1 must weigh 1/16) and compares every unit of every group with |-first + ½ second|.
void expect_scores_match_finite_differences(const graph::Network& net, const data::Dataset& d) {
  const graph::Analysis a = graph::analyze(net);
  const auto gauss_newton =
      make_method("sosp", {{"batch_size", 5}})->score({net, a, &d, 0, util::null_sink()});
  const auto hessian =
      make_method("sosp", {{"curvature", "hessian"}, {"batch_size", 5}})->score({net, a, &d, 0, util::null_sink()});
  ASSERT_EQ(gauss_newton.size(), a.groups.size());
  double largest_gap = 0;  // between the two curvatures' scores: the option must matter
  for (const graph::Group& g : a.groups) {
    for (int64_t u = 0; u < g.size; ++u) {
      const Terms t = finite_difference_terms(net, g, u, d);
      const double expected_gn = std::abs(-t.first + 0.5 * t.gauss_newton);
      const double expected_h = std::abs(-t.first + 0.5 * t.hessian);
      const double gn = gauss_newton[g.id][u].item<double>(), h = hessian[g.id][u].item<double>();
      EXPECT_NEAR(gn, expected_gn, 1e-4 * std::max(expected_gn, 1e-8)) << g.name << " unit " << u;
      EXPECT_NEAR(h, expected_h, 1e-4 * std::max(expected_h, 1e-8)) << g.name << " unit " << u;
      largest_gap = std::max(largest_gap, std::abs(gn - h) / std::max(h, 1e-8));
    }
  }
  EXPECT_GT(largest_gap, 1e-3);
}

}  // namespace

TEST(SospMethod, MatchesFiniteDifferencesOnAConvBatchNormNet) {
  const graph::Network net = testing::conv_bn_net(2);
  expect_scores_match_finite_differences(net, random_calibration(net, 16, 3, 1));
}

// Several groups, a residual group with two producers, a grouped conv, pooling and smooth activations.
TEST(SospMethod, MatchesFiniteDifferencesOnEveryOpKind) {
  const graph::Network net = testing::to_float64(testing::all_ops_network(3));
  expect_scores_match_finite_differences(net, random_calibration(net, 16, 3, 2));
}

TEST(SospMethod, NeedsLabelledDataAndNamesBadOptions) {
  EXPECT_TRUE(make_method("sosp")->needs_data());
  EXPECT_TRUE(make_method("sosp")->needs_labels());
  EXPECT_EQ(make_method("sosp")->options()["curvature"], "gauss_newton");
  testing::expect_error([] { make_method("sosp", {{"curvature", "fisher"}}); }, ErrorKind::kInvalidArgument,
                        {"curvature", "fisher"});
  testing::expect_error([] { make_method("sosp", {{"curvatur", "hessian"}}); }, ErrorKind::kInvalidArgument,
                        {"curvatur"});
  testing::expect_error([] { make_method("sosp", {{"batch_size", 0}}); }, ErrorKind::kInvalidArgument,
                        {"batch_size 0"});
}

}  // namespace mipp::prune
