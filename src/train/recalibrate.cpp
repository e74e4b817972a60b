#include "mipp/train/recalibrate.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"

namespace mipp::train {

int recalibrate_batch_norms(graph::Network& net, const data::Dataset& d, int64_t batch_size) {
  MIPP_CHECK(d.size() > 0, kInvalidArgument, "batch-norm re-estimation needs at least one sample");
  at::NoGradGuard no_grad;
  int updated = 0;
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    if (!node.is<graph::BatchNormOp>()) continue;
    graph::ForwardOptions options;
    options.taps = {node.inputs.at(0)};
    at::Tensor sum, squares;
    int64_t count = 0;
    for (int64_t start = 0; start < d.size(); start += batch_size) {
      const at::Tensor x = data::inputs_range(d, start, std::min(batch_size, d.size() - start));
      // [N, C, ...] -> per channel over the batch and spatial dimensions, in float64.
      const at::Tensor in = graph::forward(net, x, options).taps.at(node.inputs.at(0)).to(at::kDouble);
      const at::Tensor flat = in.transpose(0, 1).reshape({in.size(1), -1});
      sum = sum.defined() ? sum + flat.sum(1) : flat.sum(1);
      squares = squares.defined() ? squares + flat.pow(2).sum(1) : flat.pow(2).sum(1);
      count += flat.size(1);
    }
    const at::Tensor mean = sum / static_cast<double>(count);
    const double n = static_cast<double>(count);
    const at::Tensor var = (squares - mean.pow(2) * n) / std::max(n - 1, 1.0);  // unbiased, as PyTorch's
    const at::Tensor& old_mean = node.buffers.at("running_mean");
    net.set_tensor(id, "running_mean", mean.to(old_mean.scalar_type()));
    net.set_tensor(id, "running_var", var.clamp_min(0).to(old_mean.scalar_type()));
    ++updated;
  }
  return updated;
}

}  // namespace mipp::train
