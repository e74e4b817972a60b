#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/ones.h>
#include <torch/csrc/autograd/autograd.h>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"
#include "prune/methods/gradient_methods.h"

namespace mipp::prune {

namespace {

// ProsPr (Alizadeh et al. 2022), structured: a mask c_u multiplies unit u's weights and bias in
// every producer of its group, w_0(c) = c * theta_0; M steps of SGD (momentum mu, no weight decay)
// on fresh calibration batches in train mode (batch statistics; running statistics untouched) give
// w_M(c); the score is |dL(w_M; B_M)/dc_u| at c = 1, the meta-gradient through the steps
// ("full": create_graph, second-order terms) or with the inner gradients held constant
// ("first-order"). Every parameter, batch-norm included, is updated in the inner loop.
class ProsprMethod : public Method {
 public:
  ProsprMethod(int steps, double inner_lr, double momentum, int64_t batch_size, bool first_order)
      : steps_(steps), inner_lr_(inner_lr), momentum_(momentum), batch_size_(batch_size), first_order_(first_order) {}
  std::string_view name() const override { return "prospr"; }
  bool needs_data() const override { return true; }
  bool needs_labels() const override { return true; }
  nlohmann::json options() const override {
    return {{"steps", steps_},           {"inner_lr", inner_lr_},
            {"momentum", momentum_},     {"batch_size", batch_size_},
            {"mode", first_order_ ? "first-order" : "full"}};
  }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    const data::Dataset& d = *in.calibration;
    const int64_t needed = (steps_ + 1) * batch_size_;
    MIPP_CHECK(d.size() >= needed, kInvalidArgument,
               "method prospr: {} steps of batch {} need {} calibration samples, got {} (raise --calib-samples)",
               steps_, batch_size_, needed, d.size());
    std::vector<at::Tensor> masks;
    std::map<int, int> producer_group;  // producer node -> group id
    for (const graph::Group& g : in.analysis.groups) {
      // On the parameters' device and dtype: the masks scale them in w_0.
      masks.push_back(at::ones({g.size}, in.net.named_parameters().front().second.options()).requires_grad_(true));
      for (int p : g.producers) producer_group[p] = g.id;
    }
    // w_0: the masked producers' tensors depend on c; every other parameter is a plain leaf.
    std::vector<std::string> names;
    std::vector<at::Tensor> w;
    for (const graph::Node& n : in.net.nodes()) {
      for (const auto& [key, t] : n.params) {
        at::Tensor theta = t.detach().clone();
        auto it = producer_group.find(in.net.find(n.name));
        if (it != producer_group.end()) {
          std::vector<int64_t> shape(theta.dim(), 1);
          shape[0] = theta.size(0);
          w.push_back(theta * masks[it->second].view(shape));
        } else {
          w.push_back(theta.requires_grad_(true));
        }
        names.push_back(n.name + "." + key);
      }
    }
    auto loss_at = [&](const std::vector<at::Tensor>& weights, int64_t batch) {
      std::unordered_map<std::string, at::Tensor> params;
      for (size_t i = 0; i < names.size(); ++i) params[names[i]] = weights[i];
      graph::ForwardOptions opt;
      opt.training = true;
      opt.update_running_stats = false;
      opt.parameters = &params;
      // Host batches; the labels meet the outputs on the network's device (forward moves x).
      const at::Tensor x = d.inputs.narrow(0, batch * batch_size_, batch_size_);
      const at::Tensor y = d.labels.narrow(0, batch * batch_size_, batch_size_).to(in.net.device());
      return at::cross_entropy_loss(graph::forward(in.net, x, opt).output, y);
    };
    std::vector<at::Tensor> velocity(w.size());
    for (int k = 0; k < steps_; ++k) {
      std::vector<at::Tensor> g = torch::autograd::grad({loss_at(w, k)}, w, {}, true, /*create_graph=*/!first_order_);
      for (size_t i = 0; i < w.size(); ++i) {
        if (first_order_) g[i] = g[i].detach();
        velocity[i] = velocity[i].defined() ? momentum_ * velocity[i] + g[i] : g[i];
        w[i] = w[i] - inner_lr_ * velocity[i];
      }
      if (!in.sink.progress(k + 1, steps_ + 1)) MIPP_FAIL(kCancelled, "prospr: interrupted at inner step {}", k + 1);
    }
    const std::vector<at::Tensor> dmask = torch::autograd::grad({loss_at(w, steps_)}, masks);
    std::vector<at::Tensor> scores;
    for (const at::Tensor& g : dmask) scores.push_back(g.detach().to(at::kDouble).abs().cpu());
    return scores;
  }

 private:
  int steps_;
  double inner_lr_;
  double momentum_;
  int64_t batch_size_;
  bool first_order_;
};

}  // namespace

std::unique_ptr<Method> make_prospr_method(const nlohmann::json& options) {
  const int64_t batch_size = batch_size_option("prospr", options, {"steps", "inner_lr", "momentum", "batch_size", "mode"});
  const int steps = options.value("steps", 3);  // the official CLI's --inner-steps
  const double inner_lr = options.value("inner_lr", 0.1);
  const double momentum = options.value("momentum", 0.0);
  const std::string mode = options.value("mode", std::string("full"));
  MIPP_CHECK(steps >= 1, kInvalidArgument, "method prospr: steps {} must be at least 1", steps);
  MIPP_CHECK(inner_lr > 0, kInvalidArgument, "method prospr: inner_lr {} must be positive", inner_lr);
  MIPP_CHECK(momentum >= 0 && momentum < 1, kInvalidArgument, "method prospr: momentum {} must be in [0, 1)", momentum);
  MIPP_CHECK(mode == "full" || mode == "first-order", kInvalidArgument,
             "method prospr: mode '{}' must be full or first-order", mode);
  return std::make_unique<ProsprMethod>(steps, inner_lr, momentum, batch_size, mode == "first-order");
}

}  // namespace mipp::prune
