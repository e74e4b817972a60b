#include "mipp/graph/forward.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/TensorIndexing.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/adaptive_avg_pool2d.h>
#include <ATen/ops/avg_pool2d.h>
#include <ATen/ops/batch_norm.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/flatten.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/hardtanh.h>
#include <ATen/ops/leaky_relu.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/max_pool2d.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/sigmoid.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/tanh.h>
#include <fmt/ranges.h>

#include "mipp/util/error.h"
#include "mipp/util/overloaded.h"

namespace mipp::graph {

namespace {

using util::Overloaded;

// Resolves a node's parameter: the caller's substitute if given, else the network's own tensor.
class ParamSource {
 public:
  explicit ParamSource(const std::unordered_map<std::string, at::Tensor>* subs) : subs_(subs) {}

  at::Tensor get(const Node& node, const std::string& key) const {
    auto own = node.params.find(key);
    if (own == node.params.end()) return {};  // an optional parameter (bias) the node does not have
    if (subs_ != nullptr) {
      auto it = subs_->find(node.name + "." + key);
      if (it != subs_->end()) {
        MIPP_CHECK(it->second.sizes() == own->second.sizes(), kInvalidArgument,
                   "substituted parameter {}.{}: shape differs from the network's", node.name, key);
        return it->second;
      }
    }
    return own->second;
  }

 private:
  const std::unordered_map<std::string, at::Tensor>* subs_;
};

at::Tensor dropout(const at::Tensor& x, double p, const ForwardOptions& opt) {
  if (!opt.training || p == 0) return x;
  const c10::optional<at::Generator> gen =
      opt.generator ? c10::optional<at::Generator>(*opt.generator) : c10::nullopt;
  // Drawn on the CPU, so a seed gives the same masks on every device.
  auto keep = at::empty(x.sizes(), x.options().device(c10::kCPU)).bernoulli_(1.0 - p, gen);
  return x * keep.to(x.device(), /*non_blocking=*/true) / (1.0 - p);
}

// Windows that tile the input (kernel == stride, no padding, rounding down) taken as the maximum
// of the kernel's k*k strided views. LibTorch 1.13's CPU max_pool2d is 3-20x slower on batches of
// NCHW activations (LeNet-5's pool1 at batch 256: 6-10 ms against 0.5 ms), and still slower on
// channels-last ones; the values are the same, NaN included. Only without autograd: maximum's
// gradient splits ties where max_pool2d's picks one element, so training keeps max_pool2d. Small
// inputs keep it too, where its one call beats k*k - 1 (docs/PERFORMANCE.md, "Max-pooling").
at::Tensor max_pool(const at::Tensor& x, const MaxPoolOp& p) {
  constexpr int64_t kStridedViewsFromElements = 16384;
  const bool tiles = p.kernel == p.stride && p.kernel[0] * p.kernel[1] > 1 && p.padding == Pair{0, 0} &&
                     !p.ceil_mode && x.dim() == 4;
  if (!tiles || x.requires_grad() || x.numel() < kStridedViewsFromElements) {
    return at::max_pool2d(x, {p.kernel[0], p.kernel[1]}, {p.stride[0], p.stride[1]},
                             {p.padding[0], p.padding[1]}, /*dilation=*/{1, 1}, p.ceil_mode);
  }
  using at::indexing::Slice;
  const int64_t out_h = x.size(2) / p.kernel[0], out_w = x.size(3) / p.kernel[1];
  at::Tensor result;
  for (int64_t i = 0; i < p.kernel[0]; ++i) {
    for (int64_t j = 0; j < p.kernel[1]; ++j) {
      const at::Tensor view = x.index({Slice(), Slice(), Slice(i, i + out_h * p.kernel[0], p.kernel[0]),
                                       Slice(j, j + out_w * p.kernel[1], p.kernel[1])});
      result = result.defined() ? at::maximum(result, view) : view;
    }
  }
  return result;
}

at::Tensor apply_op(const Node& node, const std::vector<at::Tensor>& in, const ParamSource& params,
                    const ForwardOptions& opt) {
  return std::visit(
      Overloaded{
          [&](const InputOp&) -> at::Tensor { return in.at(0); },
          [&](const Conv2dOp& c) -> at::Tensor {
            return at::conv2d(in[0], params.get(node, "weight"), params.get(node, "bias"),
                                 {c.stride[0], c.stride[1]}, {c.padding[0], c.padding[1]},
                                 {c.dilation[0], c.dilation[1]}, c.groups);
          },
          [&](const LinearOp&) -> at::Tensor {
            return at::linear(in[0], params.get(node, "weight"), params.get(node, "bias"));
          },
          [&](const BatchNormOp& b) -> at::Tensor {
            const bool track = opt.training && opt.update_running_stats;
            // Without tracking, batch_norm must not see the running buffers or it would update them.
            at::Tensor mean = (!opt.training || track) ? node.buffers.at("running_mean") : at::Tensor();
            at::Tensor var = (!opt.training || track) ? node.buffers.at("running_var") : at::Tensor();
            return at::batch_norm(in[0], params.get(node, "weight"), params.get(node, "bias"), mean, var,
                                     opt.training, b.momentum, b.eps, /*cudnn_enabled=*/true);
          },
          [&](const ActivationOp& a) -> at::Tensor {
            switch (a.kind) {
              case ActivationKind::kRelu: return at::relu(in[0]);
              case ActivationKind::kLeakyRelu: return at::leaky_relu(in[0], a.negative_slope);
              case ActivationKind::kGelu: return at::gelu(in[0]);
              case ActivationKind::kSigmoid: return at::sigmoid(in[0]);
              case ActivationKind::kTanh: return at::tanh(in[0]);
              case ActivationKind::kHardtanh: return at::hardtanh(in[0], a.min_val, a.max_val);
              case ActivationKind::kSilu: return at::silu(in[0]);
            }
            MIPP_FAIL(kNotSupported, "node {}: unknown activation", node.name);
          },
          [&](const MaxPoolOp& p) -> at::Tensor { return max_pool(in[0], p); },
          [&](const AvgPoolOp& p) -> at::Tensor {
            return at::avg_pool2d(in[0], {p.kernel[0], p.kernel[1]}, {p.stride[0], p.stride[1]},
                                     {p.padding[0], p.padding[1]});
          },
          [&](const AdaptiveAvgPoolOp& p) -> at::Tensor {
            return at::adaptive_avg_pool2d(in[0], {p.output_size[0], p.output_size[1]});
          },
          [&](const FlattenOp&) -> at::Tensor { return at::flatten(in[0], 1); },
          [&](const AddOp&) -> at::Tensor {
            at::Tensor sum = in[0];
            for (size_t i = 1; i < in.size(); ++i) sum = sum + in[i];
            return sum;
          },
          [&](const ConcatOp&) -> at::Tensor { return at::cat(in, 1); },
          [&](const DropoutOp& d) -> at::Tensor { return dropout(in[0], d.p, opt); },
          [&](const IdentityOp&) -> at::Tensor { return in[0]; },
      },
      node.op);
}

// Multiplies x [N, C, ...] by mask [C] along the channel dimension.
at::Tensor apply_mask(const Node& node, const at::Tensor& x, const at::Tensor& mask) {
  const int64_t channels = node.out_shape.front();
  MIPP_CHECK(mask.dim() == 1 && mask.size(0) == channels, kInvalidArgument,
             "mask for node {}: expected [{}] entries, got [{}]", node.name, channels,
             fmt::join(mask.sizes(), ", "));
  std::vector<int64_t> view(x.dim(), 1);
  view[1] = channels;
  return x * mask.to(x.device(), x.dtype()).view(view);
}

}  // namespace

ForwardResult forward(const Network& net, const at::Tensor& input, const ForwardOptions& options) {
  const Shape& in_shape = net.input_shape();
  MIPP_CHECK(input.dim() == static_cast<int64_t>(in_shape.size()) + 1 &&
                 std::equal(in_shape.begin(), in_shape.end(), input.sizes().begin() + 1),
             kInvalidArgument, "forward: input of shape [{}] does not fit the network's input [N, {}]",
             fmt::join(input.sizes(), ", "), fmt::join(in_shape, ", "));
  for (int id : options.taps) net.node(id);  // throws on an unknown id
  for (const auto& [id, mask] : options.masks) net.node(id);

  // Free each value after its last reader unless it is tapped or is the output, so peak memory
  // stays near the widest cut of the graph rather than the sum of all activations.
  const int n = net.num_nodes();
  std::vector<int> last_use(n, -1);
  for (int i = 0; i < n; ++i) {
    for (int j : net.node(i).inputs) last_use[j] = i;
  }
  std::vector<bool> keep(n, false);
  keep[net.output()] = true;
  for (int id : options.taps) keep[id] = true;

  const ParamSource params(options.parameters);
  std::vector<at::Tensor> values(n);
  ForwardResult result;
  for (int i = 0; i < n; ++i) {
    const Node& node = net.node(i);
    std::vector<at::Tensor> in;
    in.reserve(node.inputs.size());
    for (int j : node.inputs) in.push_back(values[j]);
    // Data comes from the host; it moves to the network's device here, once per batch.
    at::Tensor out = i == 0 ? input.to(net.device(), /*non_blocking=*/true) : apply_op(node, in, params, options);
    if (auto m = options.masks.find(i); m != options.masks.end()) out = apply_mask(node, out, m->second);
    values[i] = out;
    for (int j : node.inputs) {
      if (last_use[j] == i && !keep[j]) values[j] = at::Tensor();
    }
  }
  result.output = values[net.output()];
  for (int id : options.taps) result.taps[id] = values[id];
  return result;
}

}  // namespace mipp::graph
