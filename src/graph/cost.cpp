#include "mipp/graph/cost.h"

#include <algorithm>

#include "mipp/util/error.h"
#include "mipp/util/memory.h"

namespace mipp::graph {

Cost op_cost(const Op& op, const Shape& out_shape) {
  Cost cost;
  if (const auto* c = std::get_if<Conv2dOp>(&op)) {
    const int64_t per_output = (c->in_channels / c->groups) * c->kernel[0] * c->kernel[1];
    cost.params = c->out_channels * per_output + (c->bias ? c->out_channels : 0);
    cost.macs = out_shape[0] * out_shape[1] * out_shape[2] * per_output;  // out_shape [C, H, W]
  } else if (const auto* l = std::get_if<LinearOp>(&op)) {
    cost.params = l->in_features * l->out_features + (l->bias ? l->out_features : 0);
    cost.macs = l->in_features * l->out_features;
  } else if (const auto* b = std::get_if<BatchNormOp>(&op)) {
    cost.params = 2 * b->num_features;  // affine weight and bias; running statistics are buffers
  }
  return cost;
}

Cost node_cost(const Network& net, int id) {
  const Node& node = net.node(id);
  return op_cost(node.op, node.out_shape);
}

std::vector<Cost> node_costs(const Network& net) {
  std::vector<Cost> costs;
  costs.reserve(net.num_nodes());
  for (int i = 0; i < net.num_nodes(); ++i) costs.push_back(node_cost(net, i));
  return costs;
}

Cost total_cost(const Network& net) {
  // A node's counts fit int64_t (its shapes are at most 2^31 elements: kMaxTensorElements); their
  // sum is checked rather than trusted.
  Cost total;
  for (const Cost& c : node_costs(net)) {
    const bool overflow = __builtin_add_overflow(total.params, c.params, &total.params) ||
                          __builtin_add_overflow(total.macs, c.macs, &total.macs);
    MIPP_CHECK(!overflow, kInvalidArgument, "the network's parameter or MAC count exceeds 2^63");
  }
  return total;
}

namespace {

// Per-sample activation elements: the largest node's and the sum over all nodes (at most
// num_nodes * 2^31, so no overflow).
struct ActivationSizes {
  int64_t largest = 0;
  int64_t total = 0;
};

ActivationSizes activation_sizes(const Network& net) {
  ActivationSizes a;
  for (const Node& node : net.nodes()) {
    const int64_t n = checked_elements(node.out_shape, "activation");
    a.largest = std::max(a.largest, n);
    a.total += n;
  }
  return a;
}

}  // namespace

int64_t forward_memory_bytes(const Network& net, int64_t batch) {
  return util::saturating_product({batch, activation_sizes(net).largest, 3, static_cast<int64_t>(sizeof(float))});
}

int64_t training_memory_bytes(const Network& net, int64_t batch) {
  return util::saturating_product({batch, activation_sizes(net).total, 2, static_cast<int64_t>(sizeof(float))});
}

}  // namespace mipp::graph
