#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/zeros.h>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"
#include "prune/methods/gradient_methods.h"

namespace mipp::prune {

namespace {

class SnipMethod : public Method {
 public:
  SnipMethod(bool abs_of_sum, int64_t batch_size) : abs_of_sum_(abs_of_sum), batch_size_(batch_size) {}
  std::string_view name() const override { return "snip"; }
  bool needs_data() const override { return true; }
  bool needs_labels() const override { return true; }
  nlohmann::json options() const override {
    return {{"reduction", abs_of_sum_ ? "abs-of-sum" : "sum-of-abs"}, {"batch_size", batch_size_}};
  }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    // Gradients flow to substituted copies of the producers' tensors, never to the network's own
    // (clones, so on the network's device; for_each_batch moves the labels there).
    std::unordered_map<std::string, at::Tensor> params;
    for (const graph::Group& g : in.analysis.groups) {
      for (int p : g.producers) {
        for (const auto& [key, t] : in.net.node(p).params) {
          params[in.net.node(p).name + "." + key] = t.detach().clone().requires_grad_(true);
        }
      }
    }
    graph::ForwardOptions opt;  // eval mode, as the official code scores (is_train=False)
    opt.parameters = &params;
    for_each_batch(in, batch_size_, [&](const at::Tensor& x, const at::Tensor& y) {
      // Summed over batches: the gradient of the summed loss, as Synaptic-Flow's SNIP accumulates.
      at::cross_entropy_loss(graph::forward(in.net, x, opt).output, y).backward();
    });
    const at::TensorOptions options = at::TensorOptions(at::kDouble).device(in.net.device());
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) {
      at::Tensor s = at::zeros({g.size}, options);
      for (int p : g.producers) {
        for (const auto& [key, t] : in.net.node(p).params) {
          const at::Tensor& theta = params.at(in.net.node(p).name + "." + key);
          const at::Tensor tg = (theta.detach() * theta.grad()).to(at::kDouble).reshape({g.size, -1});
          // theta * g is dL/dc for a mask c multiplying the unit's weights and bias.
          s += abs_of_sum_ ? tg.sum(1) : tg.abs().sum(1);
        }
      }
      scores.push_back((abs_of_sum_ ? s.abs() : s).cpu());
    }
    return scores;
  }

 private:
  bool abs_of_sum_;
  int64_t batch_size_;
};

}  // namespace

std::unique_ptr<Method> make_snip_method(const nlohmann::json& options) {
  const int64_t batch_size = batch_size_option("snip", options, {"reduction", "batch_size"});
  const std::string reduction = options.value("reduction", std::string("abs-of-sum"));
  MIPP_CHECK(reduction == "abs-of-sum" || reduction == "sum-of-abs", kInvalidArgument,
             "method snip: reduction '{}' must be abs-of-sum or sum-of-abs", reduction);
  return std::make_unique<SnipMethod>(reduction == "abs-of-sum", batch_size);
}

}  // namespace mipp::prune
