// graph::Network — mipp's one representation of a neural network: a small typed DAG.
//
// Every other part of mipp (model files, reports, pruning plans) is derived from a Network. Nodes
// are stored in topological order: a node's inputs are always earlier nodes, so a forward pass is a
// single loop. Node 0 is the input. Each node owns its parameters (learnable) and buffers (batch-norm
// running statistics) as torch tensors, created with the right shapes by Network::add.
//
// Shapes are per sample: the batch dimension is left out. A conv feature map is [C, H, W], a
// feature vector [F]. Shapes are inferred when a node is added, so a Network always knows the
// output shape of every node for its fixed input shape.
//
// Copying a Network copies tensor handles (shallow, like at::Tensor); use deep_copy() for an
// independent network. Not thread-safe for concurrent modification.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::graph {

// Per-sample shape, batch dimension excluded: [C, H, W] for feature maps, [F] for vectors.
using Shape = std::vector<int64_t>;
using Pair = std::array<int64_t, 2>;  // (height, width)

// The most elements one per-sample activation or one parameter tensor may have: 2^31 (8 GiB of
// float32), far beyond any network that fits a machine. Shapes are checked against it when a
// network is built or read, so element, parameter and MAC counts never overflow int64_t, and an
// absurd --input-shape or a corrupt model file fails at once instead of allocating.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 31;

// The element count of `shape`. Throws Error(kInvalidArgument) naming `what` and the shape when a
// dimension is not positive or the count exceeds kMaxTensorElements.
int64_t checked_elements(const Shape& shape, std::string_view what);

struct InputOp {
  Shape shape;
};

struct Conv2dOp {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  Pair kernel{3, 3};
  Pair stride{1, 1};
  Pair padding{0, 0};
  Pair dilation{1, 1};
  int64_t groups = 1;  // in_channels and out_channels must both be multiples of groups
  bool bias = true;
};

struct LinearOp {
  int64_t in_features = 0;
  int64_t out_features = 0;
  bool bias = true;
};

// Batch-norm over the channel dimension of [C] (1d) or [C, H, W] (2d) inputs, with affine weight
// and bias and running statistics, as torch.nn.BatchNorm1d/2d.
struct BatchNormOp {
  int64_t num_features = 0;
  double eps = 1e-5;
  double momentum = 0.1;
};

// kHardtanh clamps to [min_val, max_val] (ReLU6 is hardtanh(0, 6)); kSilu is x * sigmoid(x).
enum class ActivationKind { kRelu, kLeakyRelu, kGelu, kSigmoid, kTanh, kHardtanh, kSilu };

struct ActivationOp {
  ActivationKind kind = ActivationKind::kRelu;
  double negative_slope = 0.01;  // leaky-relu only; PyTorch's default
  double min_val = -1.0;         // hardtanh only; PyTorch's defaults
  double max_val = 1.0;
};

struct MaxPoolOp {
  Pair kernel{2, 2};
  Pair stride{2, 2};
  Pair padding{0, 0};
  // Output size rounded up rather than down, as nn.MaxPool2d(ceil_mode=True) (SqueezeNet); a
  // window that would start in the right or bottom padding is dropped, as in PyTorch.
  bool ceil_mode = false;
};

// Average pooling; padded zeros count in the average (PyTorch's count_include_pad=True default).
struct AvgPoolOp {
  Pair kernel{2, 2};
  Pair stride{2, 2};
  Pair padding{0, 0};
};

struct AdaptiveAvgPoolOp {
  Pair output_size{1, 1};
};

struct FlattenOp {};  // [C, H, W] -> [C*H*W], channel-major as torch.flatten(x, 1)
struct AddOp {};      // element-wise sum of two or more inputs of equal shape (residual joins)
struct ConcatOp {};   // concatenation along the channel dimension, inputs in order
struct DropoutOp {
  double p = 0.5;  // probability of zeroing an element in training mode
};
struct IdentityOp {};

using Op = std::variant<InputOp, Conv2dOp, LinearOp, BatchNormOp, ActivationOp, MaxPoolOp, AvgPoolOp,
                        AdaptiveAvgPoolOp, FlattenOp, AddOp, ConcatOp, DropoutOp, IdentityOp>;

// Stable lower-case id of an op kind, as used in model files, reports and the CLI: "conv2d",
// "linear", "batch_norm", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "hardtanh", "silu", "max_pool2d",
// "avg_pool2d", "adaptive_avg_pool2d", "flatten", "add", "concat", "dropout", "identity", "input".
std::string op_name(const Op& op);

struct Node {
  std::string name;         // unique within the network, PyTorch style: "layer1.0.conv1"
  Op op;
  std::vector<int> inputs;  // ids of earlier nodes
  std::map<std::string, at::Tensor> params;   // learnable: "weight", "bias"
  std::map<std::string, at::Tensor> buffers;  // batch-norm: "running_mean", "running_var"
  Shape out_shape;          // per-sample output shape
  // Why this node's output channels must keep their number, or "" when they may be pruned. Set by
  // importers where the source model hard-codes a size (`x.view(-1, 400)`); graph::analyze freezes
  // every channel space that reaches this node.
  std::string frozen;

  template <typename T>
  bool is() const { return std::holds_alternative<T>(op); }
  template <typename T>
  const T& as() const { return std::get<T>(op); }
};

class Network {
 public:
  // Creates the input node (id 0, named "input") for samples of `input_shape`.
  // REQUIRES: input_shape is [F] or [C, H, W] with positive entries.
  explicit Network(Shape input_shape);

  // Appends a node reading `inputs` and returns its id. Checks the op against its inputs' shapes
  // (throws Error(kInvalidArgument) naming the node on mismatch), infers its output shape, and
  // creates its parameters and buffers: weights and biases zero-filled (initialisers fill them),
  // batch-norm weight 1, bias 0, running mean 0, running var 1. float32 on the CPU (models are
  // built and initialised there, then moved: see to()).
  // The newest node becomes the output.
  int add(std::string name, Op op, std::vector<int> inputs);

  // The node whose value forward() returns. Defaults to the last node added.
  int output() const { return output_; }
  void set_output(int id);

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int id) const;
  Node& node(int id);
  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  const Shape& input_shape() const { return nodes_.front().out_shape; }
  const Shape& output_shape() const { return node(output_).out_shape; }

  // Id of the node called `name`, or -1.
  int find(std::string_view name) const;
  // Ids of the nodes that read node `id`'s output, in order.
  std::vector<int> consumers(int id) const;

  // Marks node `id`'s output channels as not prunable, with the reason (see Node::frozen).
  void freeze(int id, std::string why);

  // Replaces a parameter or buffer tensor, checking that its shape matches the existing one.
  // Used by loaders and by code that swaps in trained or sliced values.
  void set_tensor(int id, const std::string& key, const at::Tensor& value);

  // Every parameter under its qualified name "node_name.key", in node order. The tensors are the
  // network's own (shared handles), so an optimiser can update them in place.
  std::vector<std::pair<std::string, at::Tensor>> named_parameters() const;
  std::vector<std::pair<std::string, at::Tensor>> named_buffers() const;

  // An independent copy: same structure, cloned tensors (on the same device).
  Network deep_copy() const;

  // Where the network's tensors live: all on one device, the CPU for a network without any.
  c10::Device device() const;
  // Moves every parameter and buffer to `device` (nothing happens when they are there already).
  // New tensors replace the old ones, so handles taken before (an optimiser's) are not moved.
  void to(c10::Device device);

 private:
  std::vector<Node> nodes_;
  int output_ = 0;
};

}  // namespace mipp::graph
