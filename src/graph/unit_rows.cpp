#include "mipp/graph/unit_rows.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/zeros.h>

namespace mipp::graph {

std::vector<at::Tensor> unit_rows(const Network& net, const Group& g) {
  std::vector<at::Tensor> rows;
  // A producer's output channel u is unit u: its weight row (a conv filter or a neuron's fan-in)
  // and bias entry.
  for (int p : g.producers) {
    const Node& node = net.node(p);
    rows.push_back(node.params.at("weight").view({g.size, -1}));
    if (node.params.count("bias")) rows.push_back(node.params.at("bias").view({g.size, 1}));
  }
  // Batch-norm and depthwise-conv entries: `span` consecutive channels per unit from `offset`.
  for (const ChannelSlice& s : g.per_channel) {
    for (const auto& [key, t] : net.node(s.node).params) {
      rows.push_back(t.narrow(0, s.offset, g.size * s.span).view({g.size, -1}));
    }
  }
  return rows;
}

at::Tensor unit_norms(const Network& net, const Group& g) {
  at::Tensor squares = at::zeros({g.size}, at::TensorOptions(at::kDouble).device(net.device()));
  for (const at::Tensor& r : unit_rows(net, g)) squares += r.detach().to(at::kDouble).pow(2).sum(1);
  return squares.sqrt();
}

}  // namespace mipp::graph
