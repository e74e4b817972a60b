#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"
#include "prune/methods/gradient_methods.h"

namespace mipp::prune {

namespace {

// Where a group's gates sit: after its batch-norms (Taylor-FO-BN), or after its producers when it
// has none (a linear layer, a conv without batch-norm).
std::vector<graph::ChannelSlice> gate_slices(const graph::Group& g, const graph::Network& net) {
  std::vector<graph::ChannelSlice> slices;
  for (const graph::ChannelSlice& c : g.per_channel) {
    if (net.node(c.node).is<graph::BatchNormOp>()) slices.push_back(c);
  }
  if (slices.empty()) {
    for (int p : g.producers) slices.push_back({p, 0, 1});
  }
  return slices;
}

class TaylorMethod : public Method {
 public:
  explicit TaylorMethod(int64_t batch_size) : batch_size_(batch_size) {}
  std::string_view name() const override { return "taylor"; }
  bool needs_data() const override { return true; }
  bool needs_labels() const override { return true; }
  nlohmann::json options() const override { return {{"batch_size", batch_size_}}; }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    // One gate of ones per gated node (all its channels); dL/dgate_c = sum over the batch and
    // positions of z_c * dL/dz_c, the first-order change of the loss if channel c were removed.
    // Gates and scores live on the network's device (for_each_batch moves the labels there).
    const c10::Device device = in.net.device();
    std::map<int, at::Tensor> gates;
    for (const graph::Group& g : in.analysis.groups) {
      for (const graph::ChannelSlice& c : gate_slices(g, in.net)) {
        if (!gates.count(c.node)) {
          gates[c.node] = at::ones({in.net.node(c.node).out_shape.front()}, at::TensorOptions().device(device))
                              .requires_grad_(true);
        }
      }
    }
    const at::TensorOptions options = at::TensorOptions(at::kDouble).device(device);
    graph::ForwardOptions opt;
    opt.masks = gates;
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) scores.push_back(at::zeros({g.size}, options));
    int64_t batches = 0;
    for_each_batch(in, batch_size_, [&](const at::Tensor& x, const at::Tensor& y) {
      for (auto& [node, gate] : gates) gate.mutable_grad() = at::Tensor();
      at::cross_entropy_loss(graph::forward(in.net, x, opt).output, y).backward();
      for (const graph::Group& g : in.analysis.groups) {
        at::Tensor per_unit = at::zeros({g.size}, options);
        for (const graph::ChannelSlice& c : gate_slices(g, in.net)) {
          // A shared gate of a residual stage sums its blocks' contributions before squaring.
          per_unit += gates.at(c.node).grad().to(at::kDouble).narrow(0, c.offset, g.size * c.span)
                          .view({g.size, c.span}).sum(1);
        }
        scores[g.id] += per_unit.pow(2);
      }
      ++batches;
    });
    for (at::Tensor& s : scores) {
      s /= static_cast<double>(std::max<int64_t>(1, batches));
      s = s.cpu();
    }
    return scores;
  }

 private:
  int64_t batch_size_;
};

}  // namespace

std::unique_ptr<Method> make_taylor_method(const nlohmann::json& options) {
  return std::make_unique<TaylorMethod>(batch_size_option("taylor", options, {"batch_size"}));
}

}  // namespace mipp::prune
