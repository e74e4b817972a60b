#include "mipp/graph/cost.h"

namespace mipp::graph {

Cost node_cost(const Network& net, int id) {
  const Node& node = net.node(id);
  Cost cost;
  for (const auto& [key, t] : node.params) cost.params += t.numel();
  if (node.is<Conv2dOp>()) {
    const auto& c = node.as<Conv2dOp>();
    const Shape& out = node.out_shape;  // [C, H, W]
    cost.macs = out[0] * out[1] * out[2] * (c.in_channels / c.groups) * c.kernel[0] * c.kernel[1];
  } else if (node.is<LinearOp>()) {
    const auto& l = node.as<LinearOp>();
    cost.macs = l.in_features * l.out_features;
  }
  return cost;
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
