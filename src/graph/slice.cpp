#include "mipp/graph/slice.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <numeric>

#include "mipp/util/error.h"

namespace mipp::graph {

namespace {

// Units kept per channel space: the group's keep-set, or all units of a frozen space.
std::vector<std::vector<int64_t>> kept_per_space(const Analysis& a, const KeepSets& keep,
                                                 const std::vector<int64_t>& space_units) {
  std::vector<std::vector<int64_t>> kept(a.space_group.size());
  for (size_t s = 0; s < kept.size(); ++s) {
    const int g = a.space_group[s];
    if (g >= 0) {
      kept[s] = keep[g];
    } else {
      kept[s].resize(space_units[s]);
      std::iota(kept[s].begin(), kept[s].end(), 0);
    }
  }
  return kept;
}

// Units per space, read off the layouts (every space appears in its producer's layout).
std::vector<int64_t> space_units(const Analysis& a) {
  std::vector<int64_t> units(a.space_group.size(), 0);
  for (const auto& layout : a.layouts) {
    for (const LayoutSegment& s : layout) units[s.space] = s.units;
  }
  return units;
}

// Channel positions of a node's output that remain, in order: [kept channels] int64 on `device`
// (that of the tensors they index).
//   Example: segments {space A at 0, 4 units, span 1}, {space B at 4, 2 units, span 1}; A keeps
//   {0, 2}, B keeps {1} -> positions {0, 2, 5}.
at::Tensor kept_positions(const std::vector<LayoutSegment>& layout, const std::vector<std::vector<int64_t>>& kept,
                          c10::Device device) {
  std::vector<int64_t> pos;
  for (const LayoutSegment& seg : layout) {
    for (int64_t u : kept[seg.space]) {
      for (int64_t k = 0; k < seg.span; ++k) pos.push_back(seg.offset + u * seg.span + k);
    }
  }
  return at::tensor(pos, at::kLong).to(device);
}

int64_t kept_count(const std::vector<LayoutSegment>& layout, const std::vector<std::vector<int64_t>>& kept) {
  int64_t n = 0;
  for (const LayoutSegment& seg : layout) n += static_cast<int64_t>(kept[seg.space].size()) * seg.span;
  return n;
}

bool is_depthwise(const Conv2dOp& c) {
  return c.groups > 1 && c.groups == c.in_channels && c.groups == c.out_channels;
}

// The op with its channel counts changed to `in` inputs and `out` outputs. Grouped convs that are
// not depthwise are frozen by analyze(), so their counts never change.
Op resized_op(const Op& op, int64_t in, int64_t out) {
  Op r = op;
  if (auto* c = std::get_if<Conv2dOp>(&r)) {
    if (c->groups == 1) {
      c->in_channels = in;
      c->out_channels = out;
    } else if (is_depthwise(*c)) {
      c->groups = c->in_channels = c->out_channels = out;
    }
  } else if (auto* l = std::get_if<LinearOp>(&r)) {
    l->in_features = in;
    l->out_features = out;
  } else if (auto* b = std::get_if<BatchNormOp>(&r)) {
    b->num_features = out;
  }
  return r;
}

}  // namespace

KeepSets keep_all(const Analysis& analysis) {
  KeepSets keep(analysis.groups.size());
  for (const Group& g : analysis.groups) {
    keep[g.id].resize(g.size);
    std::iota(keep[g.id].begin(), keep[g.id].end(), 0);
  }
  return keep;
}

void validate(const Analysis& analysis, const KeepSets& keep) {
  MIPP_CHECK(keep.size() == analysis.groups.size(), kInvalidArgument, "keep-sets: {} given for {} groups",
             keep.size(), analysis.groups.size());
  for (const Group& g : analysis.groups) {
    const auto& k = keep[g.id];
    MIPP_CHECK(!k.empty(), kInvalidArgument, "group {}: keep-set is empty; a layer keeps at least one unit", g.name);
    for (size_t i = 0; i < k.size(); ++i) {
      MIPP_CHECK(k[i] >= 0 && k[i] < g.size, kInvalidArgument, "group {}: unit {} out of range [0, {})", g.name, k[i],
                 g.size);
      MIPP_CHECK(i == 0 || k[i] > k[i - 1], kInvalidArgument,
                 "group {}: keep-set must be sorted without duplicates (unit {} after {})", g.name, k[i], k[i - 1]);
    }
  }
}

std::map<int, at::Tensor> unit_masks(const Network& net, const Analysis& analysis, const KeepSets& keep) {
  validate(analysis, keep);
  const auto kept = kept_per_space(analysis, keep, space_units(analysis));
  const c10::Device device = net.device();  // where forward() applies the masks
  std::map<int, at::Tensor> masks;
  for (int id = 1; id < net.num_nodes(); ++id) {
    const auto& layout = analysis.layouts[id];
    int64_t channels = 0, remaining = 0;
    for (const LayoutSegment& s : layout) {
      channels += s.units * s.span;
      remaining += static_cast<int64_t>(kept[s.space].size()) * s.span;
    }
    if (remaining == channels) continue;
    at::Tensor mask = at::zeros({channels}, at::TensorOptions().device(device));
    mask.index_fill_(0, kept_positions(layout, kept, device), 1.0);
    masks[id] = mask;
  }
  return masks;
}

Network slice(const Network& net, const Analysis& analysis, const KeepSets& keep) {
  validate(analysis, keep);
  const auto kept = kept_per_space(analysis, keep, space_units(analysis));
  at::NoGradGuard no_grad;
  // The positions index the network's tensors, so they go to its device; the sliced copies stay
  // there, so the result is on the same device as `net`.
  const c10::Device device = net.device();
  Network out(net.input_shape());
  for (int id = 1; id < net.num_nodes(); ++id) {
    const Node& node = net.node(id);
    const at::Tensor in_idx =
        node.inputs.empty() ? at::Tensor() : kept_positions(analysis.layouts[node.inputs.front()], kept, device);
    const at::Tensor out_idx = kept_positions(analysis.layouts[id], kept, device);
    const Op op = resized_op(node.op, in_idx.defined() ? in_idx.numel() : 0, out_idx.numel());
    // Producers lose rows (dim 0) and consumers columns (dim 1); per-channel tensors lose entries.
    std::map<std::string, at::Tensor> tensors;
    const auto* conv = std::get_if<Conv2dOp>(&node.op);
    const bool dense = node.is<LinearOp>() || (conv != nullptr && conv->groups == 1);
    const bool per_channel = node.is<BatchNormOp>() || (conv != nullptr && is_depthwise(*conv));
    if (dense) {
      tensors["weight"] = node.params.at("weight").index_select(0, out_idx).index_select(1, in_idx);
      if (node.params.count("bias")) tensors["bias"] = node.params.at("bias").index_select(0, out_idx);
    } else if (per_channel) {
      for (const auto& [key, t] : node.params) tensors[key] = t.index_select(0, out_idx);
      for (const auto& [key, t] : node.buffers) tensors[key] = t.index_select(0, out_idx);
    }
    const int new_id = out.add(node.name, op, node.inputs);
    if (!node.frozen.empty()) out.freeze(new_id, node.frozen);
    for (const auto& [key, t] : node.params) {
      out.set_tensor(new_id, key, tensors.count(key) ? tensors.at(key).contiguous() : t.clone());
    }
    for (const auto& [key, t] : node.buffers) {
      out.set_tensor(new_id, key, tensors.count(key) ? tensors.at(key).contiguous() : t.clone());
    }
  }
  out.set_output(net.output());
  return out;
}

Cost sliced_cost(const Network& net, const Analysis& analysis, const KeepSets& keep) {
  validate(analysis, keep);
  const auto kept = kept_per_space(analysis, keep, space_units(analysis));
  Cost total;
  for (int id = 1; id < net.num_nodes(); ++id) {
    const Node& node = net.node(id);
    const int64_t in = node.inputs.empty() ? 0 : kept_count(analysis.layouts[node.inputs.front()], kept);
    Shape out_shape = node.out_shape;
    out_shape[0] = kept_count(analysis.layouts[id], kept);
    const Cost c = op_cost(resized_op(node.op, in, out_shape[0]), out_shape);
    total.params += c.params;
    total.macs += c.macs;
  }
  return total;
}

}  // namespace mipp::graph
