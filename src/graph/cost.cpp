#include "mipp/graph/cost.h"

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
  Cost total;
  for (const Cost& c : node_costs(net)) {
    total.params += c.params;
    total.macs += c.macs;
  }
  return total;
}

}  // namespace mipp::graph
