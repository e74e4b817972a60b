#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"
#include "prune/methods/baselines.h"

namespace mipp::prune {

namespace {

// SynFlow (Tanaka et al. 2020), structured: with every parameter and buffer replaced by its
// absolute value (the official code's linearize(), buffers included) and the network in eval mode
// and float64, R = sum of the outputs for an all-ones input; a unit's score is the sum of
// theta * dR/dtheta over its weights and bias in every producer of its group (all terms are >= 0,
// so abs-of-sum and sum-of-abs agree). Data-free. The official schedule re-scores over 100
// exponential rounds: use `mipp prune --rounds 100`.
class SynflowMethod : public Method {
 public:
  std::string_view name() const override { return "synflow"; }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    graph::Network linear = in.net.deep_copy();
    for (int id = 0; id < linear.num_nodes(); ++id) {
      graph::Node& n = linear.node(id);
      for (auto& [key, t] : n.params) t = t.to(at::kDouble).abs();
      for (auto& [key, t] : n.buffers) t = t.to(at::kDouble).abs();
    }
    std::unordered_map<std::string, at::Tensor> params;
    for (const auto& [name, t] : linear.named_parameters()) params[name] = t.clone().requires_grad_(true);
    graph::ForwardOptions opt;
    opt.parameters = &params;
    std::vector<int64_t> shape = {1};
    shape.insert(shape.end(), linear.input_shape().begin(), linear.input_shape().end());
    // The copy, its parameters and so the scores' sums are on the network's device.
    const at::TensorOptions options = at::TensorOptions(at::kDouble).device(linear.device());
    graph::forward(linear, at::ones(shape, options), opt).output.sum().backward();

    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) {
      at::Tensor s = at::zeros({g.size}, options);
      for (int p : g.producers) {
        for (const auto& [key, t] : linear.node(p).params) {
          const at::Tensor& theta = params.at(linear.node(p).name + "." + key);
          s += (theta.detach() * theta.grad()).reshape({g.size, -1}).sum(1);
        }
      }
      MIPP_CHECK(at::isfinite(s).all().item<bool>(), kNumerical,
                 "method synflow: scores of group {} overflow (a deep network with large weights?)", g.name);
      scores.push_back(s.cpu());
    }
    return scores;
  }
};

}  // namespace

std::unique_ptr<Method> make_synflow_method(const nlohmann::json& options) {
  MIPP_CHECK(options.empty(), kInvalidArgument, "method synflow takes no options, got {}", options.dump());
  return std::make_unique<SynflowMethod>();
}

}  // namespace mipp::prune
