#include "mipp/graph/network.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>
#include <fmt/ranges.h>

#include "mipp/util/error.h"
#include "mipp/util/overloaded.h"

namespace mipp::graph {

namespace {

using util::Overloaded;

std::string shape_str(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

// Output length of a sliding window (PyTorch's pooling_output_shape): floor mode, or ceil mode
// without a last window that would start inside the right padding.
//   Example: in 13, kernel 3, stride 2, no padding: floor (13-3)/2+1 = 6; ceil also 6.
//            in 14: floor 6, ceil 7 (the last window covers columns 12..14, one past the edge).
int64_t window_out(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, bool ceil_mode = false) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  if (!ceil_mode || span < 0) return span / stride + 1;
  int64_t out = (span + stride - 1) / stride + 1;
  if ((out - 1) * stride >= in + pad) --out;
  return out;
}

// Checks that `in` is a feature map and returns the window output shape with `channels` channels.
Shape window_shape(const std::string& node, const Shape& in, int64_t channels, Pair kernel, Pair stride,
                   Pair pad, Pair dilation, bool ceil_mode = false) {
  MIPP_CHECK(in.size() == 3, kInvalidArgument, "node {}: needs a [C, H, W] input, got {}", node, shape_str(in));
  for (int d = 0; d < 2; ++d) {
    MIPP_CHECK(kernel[d] > 0 && stride[d] > 0 && pad[d] >= 0 && dilation[d] > 0, kInvalidArgument,
               "node {}: kernel, stride and dilation must be positive and padding non-negative", node);
    const int64_t largest = std::max({kernel[d], stride[d], pad[d], dilation[d]});
    MIPP_CHECK(largest <= kMaxTensorElements, kInvalidArgument, "node {}: window size {} exceeds 2^31", node, largest);
  }
  const int64_t h = window_out(in[1], kernel[0], stride[0], pad[0], dilation[0], ceil_mode);
  const int64_t w = window_out(in[2], kernel[1], stride[1], pad[1], dilation[1], ceil_mode);
  MIPP_CHECK(h > 0 && w > 0, kInvalidArgument,
             "node {}: input {} is too small for a {}x{} window (output would be {}x{})", node, shape_str(in),
             kernel[0], kernel[1], h, w);
  return {channels, h, w};
}

const Shape& single_input(const std::string& node, const std::vector<const Shape*>& in) {
  MIPP_CHECK(in.size() == 1, kInvalidArgument, "node {}: takes exactly one input, got {}", node, in.size());
  return *in.front();
}

Shape infer_shape(const std::string& name, const Op& op, const std::vector<const Shape*>& in) {
  return std::visit(
      Overloaded{
          [&](const InputOp&) -> Shape {
            MIPP_FAIL(kInvalidArgument, "node {}: only node 0 can be an input", name);
          },
          [&](const Conv2dOp& c) -> Shape {
            const Shape& x = single_input(name, in);
            MIPP_CHECK(c.groups > 0 && c.in_channels > 0 && c.out_channels > 0 && c.in_channels % c.groups == 0 &&
                           c.out_channels % c.groups == 0,
                       kInvalidArgument, "node {}: channels {}->{} are not multiples of groups {}", name,
                       c.in_channels, c.out_channels, c.groups);
            MIPP_CHECK(x.size() == 3 && x[0] == c.in_channels, kInvalidArgument,
                       "node {}: conv expects {} input channels, input has shape {}", name, c.in_channels,
                       shape_str(x));
            return window_shape(name, x, c.out_channels, c.kernel, c.stride, c.padding, c.dilation);
          },
          [&](const LinearOp& l) -> Shape {
            const Shape& x = single_input(name, in);
            MIPP_CHECK(l.in_features > 0 && l.out_features > 0, kInvalidArgument,
                       "node {}: linear sizes must be positive", name);
            MIPP_CHECK(x.size() == 1 && x[0] == l.in_features, kInvalidArgument,
                       "node {}: linear expects input [{}], got {} (flatten first)", name, l.in_features,
                       shape_str(x));
            return {l.out_features};
          },
          [&](const BatchNormOp& b) -> Shape {
            const Shape& x = single_input(name, in);
            MIPP_CHECK((x.size() == 1 || x.size() == 3) && x[0] == b.num_features, kInvalidArgument,
                       "node {}: batch-norm of {} features cannot read input {}", name, b.num_features,
                       shape_str(x));
            return x;
          },
          [&](const ActivationOp& a) -> Shape {
            MIPP_CHECK(a.kind != ActivationKind::kHardtanh || a.min_val < a.max_val, kInvalidArgument,
                       "node {}: hardtanh needs min_val < max_val, got {} and {}", name, a.min_val, a.max_val);
            return single_input(name, in);
          },
          [&](const MaxPoolOp& p) -> Shape {
            const Shape& x = single_input(name, in);
            return window_shape(name, x, x.empty() ? 0 : x[0], p.kernel, p.stride, p.padding, {1, 1}, p.ceil_mode);
          },
          [&](const AvgPoolOp& p) -> Shape {
            const Shape& x = single_input(name, in);
            return window_shape(name, x, x.empty() ? 0 : x[0], p.kernel, p.stride, p.padding, {1, 1});
          },
          [&](const AdaptiveAvgPoolOp& p) -> Shape {
            const Shape& x = single_input(name, in);
            MIPP_CHECK(x.size() == 3, kInvalidArgument, "node {}: needs a [C, H, W] input, got {}", name,
                       shape_str(x));
            MIPP_CHECK(p.output_size[0] > 0 && p.output_size[1] > 0, kInvalidArgument,
                       "node {}: output size must be positive", name);
            return {x[0], p.output_size[0], p.output_size[1]};
          },
          [&](const FlattenOp&) -> Shape {
            const Shape& x = single_input(name, in);
            return {std::accumulate(x.begin(), x.end(), int64_t{1}, std::multiplies<>())};
          },
          [&](const AddOp&) -> Shape {
            MIPP_CHECK(in.size() >= 2, kInvalidArgument, "node {}: add needs at least two inputs", name);
            for (const Shape* s : in) {
              MIPP_CHECK(*s == *in.front(), kInvalidArgument, "node {}: cannot add shapes {} and {}", name,
                         shape_str(*in.front()), shape_str(*s));
            }
            return *in.front();
          },
          [&](const ConcatOp&) -> Shape {
            MIPP_CHECK(!in.empty(), kInvalidArgument, "node {}: concat needs inputs", name);
            Shape out = *in.front();
            for (size_t i = 1; i < in.size(); ++i) {
              const Shape& s = *in[i];
              MIPP_CHECK(s.size() == out.size() && std::equal(s.begin() + 1, s.end(), out.begin() + 1),
                         kInvalidArgument, "node {}: cannot concatenate {} and {} along channels", name,
                         shape_str(out), shape_str(s));
              out[0] += s[0];
            }
            return out;
          },
          [&](const DropoutOp& d) -> Shape {
            MIPP_CHECK(d.p >= 0 && d.p < 1, kInvalidArgument, "node {}: dropout p={} must be in [0, 1)", name, d.p);
            return single_input(name, in);
          },
          [&](const IdentityOp&) -> Shape { return single_input(name, in); },
      },
      op);
}

// Parameters and buffers an op owns, with their initial values. The weight shapes are checked
// before allocating (a corrupt file's 2^40 channels must not reach the allocator).
void create_tensors(Node& node) {
  const auto f32 = at::kFloat;
  std::visit(Overloaded{
                 [&](const Conv2dOp& c) {
                   const Shape weight = {c.out_channels, c.in_channels / c.groups, c.kernel[0], c.kernel[1]};
                   checked_elements(weight, fmt::format("node {}: weight", node.name));
                   node.params["weight"] = at::zeros(weight, f32);
                   if (c.bias) node.params["bias"] = at::zeros({c.out_channels}, f32);
                 },
                 [&](const LinearOp& l) {
                   checked_elements({l.out_features, l.in_features}, fmt::format("node {}: weight", node.name));
                   node.params["weight"] = at::zeros({l.out_features, l.in_features}, f32);
                   if (l.bias) node.params["bias"] = at::zeros({l.out_features}, f32);
                 },
                 [&](const BatchNormOp& b) {
                   node.params["weight"] = at::ones({b.num_features}, f32);
                   node.params["bias"] = at::zeros({b.num_features}, f32);
                   node.buffers["running_mean"] = at::zeros({b.num_features}, f32);
                   node.buffers["running_var"] = at::ones({b.num_features}, f32);
                 },
                 [&](const auto&) {},
             },
             node.op);
}

bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

}  // namespace

int64_t checked_elements(const Shape& shape, std::string_view what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    MIPP_CHECK(d > 0, kInvalidArgument, "{} {}: sizes must be positive", what, shape_str(shape));
    const bool overflow = __builtin_mul_overflow(n, d, &n);
    MIPP_CHECK(!overflow && n <= kMaxTensorElements, kInvalidArgument,
               "{} {} has {} elements; mipp's limit is {} (2^31) per sample and per tensor", what, shape_str(shape),
               overflow ? std::string("over 2^63") : std::to_string(n), kMaxTensorElements);
  }
  return n;
}

std::string op_name(const Op& op) {
  return std::visit(Overloaded{
                        [](const InputOp&) -> std::string { return "input"; },
                        [](const Conv2dOp&) -> std::string { return "conv2d"; },
                        [](const LinearOp&) -> std::string { return "linear"; },
                        [](const BatchNormOp&) -> std::string { return "batch_norm"; },
                        [](const ActivationOp& a) -> std::string {
                          switch (a.kind) {
                            case ActivationKind::kRelu: return "relu";
                            case ActivationKind::kLeakyRelu: return "leaky_relu";
                            case ActivationKind::kGelu: return "gelu";
                            case ActivationKind::kSigmoid: return "sigmoid";
                            case ActivationKind::kTanh: return "tanh";
                            case ActivationKind::kHardtanh: return "hardtanh";
                            case ActivationKind::kSilu: return "silu";
                          }
                          return "activation";
                        },
                        [](const MaxPoolOp&) -> std::string { return "max_pool2d"; },
                        [](const AvgPoolOp&) -> std::string { return "avg_pool2d"; },
                        [](const AdaptiveAvgPoolOp&) -> std::string { return "adaptive_avg_pool2d"; },
                        [](const FlattenOp&) -> std::string { return "flatten"; },
                        [](const AddOp&) -> std::string { return "add"; },
                        [](const ConcatOp&) -> std::string { return "concat"; },
                        [](const DropoutOp&) -> std::string { return "dropout"; },
                        [](const IdentityOp&) -> std::string { return "identity"; },
                    },
                    op);
}

Network::Network(Shape input_shape) {
  const bool rank_ok = input_shape.size() == 1 || input_shape.size() == 3;
  const bool positive = std::all_of(input_shape.begin(), input_shape.end(), [](int64_t d) { return d > 0; });
  MIPP_CHECK(rank_ok && positive, kInvalidArgument,
             "input shape {}: must be [F] or [C, H, W] with positive sizes", shape_str(input_shape));
  checked_elements(input_shape, "input shape");
  Node input;
  input.name = "input";
  input.op = InputOp{input_shape};
  input.out_shape = std::move(input_shape);
  nodes_.push_back(std::move(input));
}

int Network::add(std::string name, Op op, std::vector<int> inputs) {
  MIPP_CHECK(is_valid_name(name), kInvalidArgument,
             "node name '{}': use letters, digits, '_', '.' and '-' only", name);
  MIPP_CHECK(find(name) < 0, kInvalidArgument, "node name '{}' is used twice", name);
  std::vector<const Shape*> in_shapes;
  for (int id : inputs) {
    MIPP_CHECK(id >= 0 && id < num_nodes(), kInvalidArgument, "node {}: input id {} does not exist (yet)", name,
               id);
    in_shapes.push_back(&nodes_[id].out_shape);
  }
  Node node;
  node.out_shape = infer_shape(name, op, in_shapes);
  checked_elements(node.out_shape, fmt::format("node {}: output", name));
  node.name = std::move(name);
  node.op = std::move(op);
  node.inputs = std::move(inputs);
  create_tensors(node);
  nodes_.push_back(std::move(node));
  output_ = num_nodes() - 1;
  return output_;
}

void Network::freeze(int id, std::string why) {
  MIPP_CHECK(!why.empty(), kInvalidArgument, "node {}: freezing needs a reason", node(id).name);
  node(id).frozen = std::move(why);
}

void Network::set_output(int id) {
  MIPP_CHECK(id >= 0 && id < num_nodes(), kInvalidArgument, "output node id {} does not exist", id);
  output_ = id;
}

const Node& Network::node(int id) const {
  MIPP_CHECK(id >= 0 && id < num_nodes(), kInvalidArgument, "node id {} does not exist", id);
  return nodes_[id];
}

Node& Network::node(int id) {
  MIPP_CHECK(id >= 0 && id < num_nodes(), kInvalidArgument, "node id {} does not exist", id);
  return nodes_[id];
}

int Network::find(std::string_view name) const {
  for (int i = 0; i < num_nodes(); ++i) {
    if (nodes_[i].name == name) return i;
  }
  return -1;
}

std::vector<int> Network::consumers(int id) const {
  std::vector<int> out;
  for (int i = id + 1; i < num_nodes(); ++i) {
    const auto& in = nodes_[i].inputs;
    if (std::find(in.begin(), in.end(), id) != in.end()) out.push_back(i);
  }
  return out;
}

void Network::set_tensor(int id, const std::string& key, const at::Tensor& value) {
  Node& n = node(id);
  auto* slot = n.params.count(key) ? &n.params.at(key) : n.buffers.count(key) ? &n.buffers.at(key) : nullptr;
  MIPP_CHECK(slot != nullptr, kInvalidArgument, "node {}: has no parameter or buffer '{}'", n.name, key);
  MIPP_CHECK(slot->sizes() == value.sizes(), kInvalidArgument, "node {}.{}: expected shape {}, got {}", n.name, key,
             shape_str(slot->sizes().vec()),
             shape_str(value.sizes().vec()));
  *slot = value;
}

std::vector<std::pair<std::string, at::Tensor>> Network::named_parameters() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const Node& n : nodes_) {
    for (const auto& [key, t] : n.params) out.emplace_back(n.name + "." + key, t);
  }
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> Network::named_buffers() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const Node& n : nodes_) {
    for (const auto& [key, t] : n.buffers) out.emplace_back(n.name + "." + key, t);
  }
  return out;
}

Network Network::deep_copy() const {
  Network copy = *this;
  for (Node& n : copy.nodes_) {
    for (auto& [key, t] : n.params) t = t.detach().clone();
    for (auto& [key, t] : n.buffers) t = t.detach().clone();
  }
  return copy;
}

c10::Device Network::device() const {
  for (const Node& n : nodes_) {
    for (const auto& [key, t] : n.params) return t.device();
  }
  return c10::Device(c10::kCPU);
}

void Network::to(c10::Device device) {
  for (Node& n : nodes_) {
    for (auto& [key, t] : n.params) {
      if (t.device() != device) t = t.detach().to(device).requires_grad_(t.requires_grad());
    }
    for (auto& [key, t] : n.buffers) t = t.to(device);
  }
}

}  // namespace mipp::graph
