#include "mipp/graph/unit_rows.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/zeros.h>

#include <functional>

#include "mipp/util/error.h"

namespace mipp::graph {

namespace {

// Calls `each` with the name of every parameter the units own and the part of it they own, whose
// dim 0 runs over the units: a producer's output channel u is unit u (its weight row, its bias
// entry); a batch-norm or depthwise conv has `span` consecutive channels per unit from `offset`.
using Visit = std::function<void(const std::string& name, const at::Tensor& owned)>;

void for_each_owned(const Network& net, const Group& g, const Visit& each) {
  for (int p : g.producers) {
    const Node& node = net.node(p);
    each(node.name + ".weight", node.params.at("weight"));
    if (node.params.count("bias")) each(node.name + ".bias", node.params.at("bias"));
  }
  for (const ChannelSlice& s : g.per_channel) {
    const Node& node = net.node(s.node);
    for (const auto& [key, t] : node.params) each(node.name + "." + key, t.narrow(0, s.offset, g.size * s.span));
  }
}

}  // namespace

std::vector<at::Tensor> unit_rows(const Network& net, const Group& g) {
  std::vector<at::Tensor> rows;
  for_each_owned(net, g, [&](const std::string& name, const at::Tensor& owned) {
    // Only a contiguous tensor has its units as rows of a view (a channels-last conv weight does not).
    MIPP_CHECK(owned.is_contiguous(), kInvalidArgument,
               "{}: not stored contiguously, so its units cannot be written in place", name);
    rows.push_back(owned.view({g.size, -1}));
  });
  return rows;
}

at::Tensor unit_norms(const Network& net, const Group& g) {
  at::Tensor squares = at::zeros({g.size}, at::TensorOptions(at::kDouble).device(net.device()));
  for_each_owned(net, g, [&](const std::string&, const at::Tensor& owned) {
    squares += owned.detach().to(at::kDouble).reshape({g.size, -1}).pow(2).sum(1);
  });
  return squares.sqrt();
}

}  // namespace mipp::graph
