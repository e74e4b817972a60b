#include "mipp/graph/fold.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/zeros_like.h>

namespace mipp::graph {

namespace {

// The producer a batch-norm node can be folded into: a conv or linear node whose only reader it is.
int foldable_producer(const Network& net, const Node& bn) {
  if (!bn.is<BatchNormOp>() || bn.inputs.size() != 1) return -1;
  const int p = bn.inputs[0];
  const Node& producer = net.node(p);
  if (!producer.is<Conv2dOp>() && !producer.is<LinearOp>()) return -1;
  return net.consumers(p).size() == 1 ? p : -1;
}

}  // namespace

Network fold_batch_norms(const Network& net) {
  // Which producers get a folded batch-norm, and its per-channel scale and shift.
  std::map<int, std::pair<at::Tensor, at::Tensor>> folds;  // producer -> (scale, shift)
  for (int id = 0; id < net.num_nodes(); ++id) {
    const Node& n = net.node(id);
    const int p = foldable_producer(net, n);
    if (p < 0) continue;
    const at::Tensor scale = n.params.at("weight") / (n.buffers.at("running_var") + n.as<BatchNormOp>().eps).sqrt();
    folds[p] = {scale, n.params.at("bias") - n.buffers.at("running_mean") * scale};
  }

  Network out(net.input_shape());
  for (int id = 1; id < net.num_nodes(); ++id) {
    const Node& n = net.node(id);
    Op op = n.op;
    const auto fold = folds.find(id);
    if (fold != folds.end()) {  // the layer gains a bias holding the batch-norm's shift
      if (auto* conv = std::get_if<Conv2dOp>(&op)) conv->bias = true;
      if (auto* linear = std::get_if<LinearOp>(&op)) linear->bias = true;
    }
    if (foldable_producer(net, n) >= 0) op = IdentityOp{};
    const int added = out.add(n.name, op, n.inputs);
    if (!n.frozen.empty()) out.freeze(added, n.frozen);
    if (std::holds_alternative<IdentityOp>(op) && !n.is<IdentityOp>()) continue;  // folded batch-norm
    for (const auto& [key, value] : n.params) out.set_tensor(added, key, value.clone());
    for (const auto& [key, value] : n.buffers) out.set_tensor(added, key, value.clone());
    if (fold != folds.end()) {
      const auto& [scale, shift] = fold->second;
      std::vector<int64_t> shape(static_cast<size_t>(n.params.at("weight").dim()), 1);
      shape[0] = -1;
      out.set_tensor(added, "weight", n.params.at("weight") * scale.reshape(shape));
      const at::Tensor bias = n.params.count("bias") ? n.params.at("bias") : at::zeros_like(shift);
      out.set_tensor(added, "bias", bias * scale + shift);
    }
  }
  out.set_output(net.output());
  return out;
}

Network with_channels_last_weights(Network net) {
  for (int id = 0; id < net.num_nodes(); ++id) {
    const Node& n = net.node(id);
    if (!n.is<Conv2dOp>()) continue;
    net.set_tensor(id, "weight", n.params.at("weight").contiguous(at::MemoryFormat::ChannelsLast));
  }
  return net;
}

}  // namespace mipp::graph
