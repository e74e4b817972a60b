#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <torch/csrc/autograd/autograd.h>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"
#include "prune/methods/gradient_methods.h"

namespace mipp::prune {

namespace {

// GraSP (Wang et al. 2020), structured: S_u = -sum over u's weights (in every producer of its
// group) of theta * (H g), where g = dL/dtheta and H the Hessian of L over the conv and linear
// weights, L the cross-entropy of logits / temperature on `samples_per_class` images of each class,
// in train mode (batch statistics, running statistics untouched), as the official pruner/GraSP.py.
// GraSP removes the units with the LARGEST S, so the score returned (higher = keep) is -S =
// sum theta * Hg, which is half the derivative of g^T g with respect to a mask scaling u's weights.
// Differences from the official code: all samples in one batch (it splits them in halves for GPU
// memory), and no re-initialisation of linear layers before scoring (its reinit=True default).
class GraspMethod : public Method {
 public:
  GraspMethod(int64_t samples_per_class, double temperature)
      : samples_per_class_(samples_per_class), temperature_(temperature) {}
  std::string_view name() const override { return "grasp"; }
  bool needs_data() const override { return true; }
  bool needs_labels() const override { return true; }
  nlohmann::json options() const override {
    return {{"samples_per_class", samples_per_class_}, {"temperature", temperature_}};
  }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    const data::Dataset& d = *in.calibration;
    // Picked on the host, where the calibration set is; moved once to the network's device, where
    // both passes use them (y meets the outputs in the loss).
    const c10::Device device = in.net.device();
    const at::Tensor idx = per_class_indices(d);
    const at::Tensor x = d.inputs.index_select(0, idx).to(device), y = d.labels.index_select(0, idx).to(device);

    std::unordered_map<std::string, at::Tensor> params;
    std::vector<at::Tensor> weights;  // the conv and linear weights H and g range over
    for (const auto& [name, t] : in.net.named_parameters()) params[name] = t.detach().clone().requires_grad_(true);
    for (const graph::Node& n : in.net.nodes()) {
      if (n.is<graph::Conv2dOp>() || n.is<graph::LinearOp>()) weights.push_back(params.at(n.name + ".weight"));
    }
    graph::ForwardOptions opt;
    opt.training = true;
    opt.update_running_stats = false;
    opt.parameters = &params;
    auto loss = [&] {
      return at::cross_entropy_loss(graph::forward(in.net, x, opt).output / temperature_, y);
    };
    // Pass 1: g, no graph. Pass 2: grad with create_graph, z = <g_stop, grad>, dz/dtheta = H g.
    const std::vector<at::Tensor> g = torch::autograd::grad({loss()}, weights);
    const std::vector<at::Tensor> grads = torch::autograd::grad({loss()}, weights, {}, true, /*create_graph=*/true);
    at::Tensor z = at::zeros({}, grads.front().options());
    for (size_t i = 0; i < grads.size(); ++i) z = z + (g[i].detach() * grads[i]).sum();
    const std::vector<at::Tensor> hg = torch::autograd::grad({z}, weights);
    std::unordered_map<std::string, at::Tensor> hg_by_name;
    for (size_t i = 0, k = 0; i < in.net.nodes().size(); ++i) {
      const graph::Node& n = in.net.nodes()[i];
      if (n.is<graph::Conv2dOp>() || n.is<graph::LinearOp>()) hg_by_name[n.name] = hg[k++];
    }

    std::vector<at::Tensor> scores;
    for (const graph::Group& group : in.analysis.groups) {
      at::Tensor s = at::zeros({group.size}, at::TensorOptions(at::kDouble).device(device));
      for (int p : group.producers) {
        const graph::Node& n = in.net.node(p);
        const at::Tensor theta = params.at(n.name + ".weight").detach();
        s += (theta * hg_by_name.at(n.name)).to(at::kDouble).reshape({group.size, -1}).sum(1);
      }
      scores.push_back(s.cpu());
    }
    return scores;
  }

 private:
  // The first samples_per_class samples of each class, in dataset order.
  at::Tensor per_class_indices(const data::Dataset& d) const {
    std::vector<int64_t> taken(d.num_classes, 0), idx;
    const at::Tensor labels = d.labels.cpu().contiguous();
    const int64_t* l = labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < d.size(); ++i) {
      if (taken[l[i]] < samples_per_class_) {
        ++taken[l[i]];
        idx.push_back(i);
      }
    }
    MIPP_CHECK(!idx.empty(), kInvalidArgument, "method grasp: no calibration samples");
    return at::tensor(idx, at::kLong);
  }

  int64_t samples_per_class_;
  double temperature_;
};

}  // namespace

std::unique_ptr<Method> make_grasp_method(const nlohmann::json& options) {
  for (const auto& [key, value] : options.items()) {
    MIPP_CHECK(key == "samples_per_class" || key == "temperature", kInvalidArgument,
               "method grasp: unknown option '{}' (it has: samples_per_class, temperature)", key);
  }
  const int64_t per_class = options.value("samples_per_class", int64_t{10});  // the CIFAR-10 configs
  const double temperature = options.value("temperature", 200.0);
  MIPP_CHECK(per_class >= 1, kInvalidArgument, "method grasp: samples_per_class {} must be at least 1", per_class);
  MIPP_CHECK(temperature > 0, kInvalidArgument, "method grasp: temperature {} must be positive", temperature);
  return std::make_unique<GraspMethod>(per_class, temperature);
}

}  // namespace mipp::prune
