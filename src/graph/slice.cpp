#include "mipp/graph/slice.h"

#include <torch/torch.h>

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

// Channel positions of a node's output that remain, in order: [kept channels] int64.
//   Example: segments {space A at 0, 4 units, span 1}, {space B at 4, 2 units, span 1}; A keeps
//   {0, 2}, B keeps {1} -> positions {0, 2, 5}.
at::Tensor kept_positions(const std::vector<LayoutSegment>& layout, const std::vector<std::vector<int64_t>>& kept) {
  std::vector<int64_t> pos;
  for (const LayoutSegment& seg : layout) {
    for (int64_t u : kept[seg.space]) {
      for (int64_t k = 0; k < seg.span; ++k) pos.push_back(seg.offset + u * seg.span + k);
    }
  }
  return torch::tensor(pos, torch::kLong);
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
  std::map<int, at::Tensor> masks;
  for (int id = 1; id < net.num_nodes(); ++id) {
    const auto& layout = analysis.layouts[id];
    int64_t channels = 0, remaining = 0;
    for (const LayoutSegment& s : layout) {
      channels += s.units * s.span;
      remaining += static_cast<int64_t>(kept[s.space].size()) * s.span;
    }
    if (remaining == channels) continue;
    at::Tensor mask = torch::zeros({channels});
    mask.index_fill_(0, kept_positions(layout, kept), 1.0);
    masks[id] = mask;
  }
  return masks;
}

Network slice(const Network& net, const Analysis& analysis, const KeepSets& keep) {
  validate(analysis, keep);
  const auto kept = kept_per_space(analysis, keep, space_units(analysis));
  torch::NoGradGuard no_grad;
  Network out(net.input_shape());
  for (int id = 1; id < net.num_nodes(); ++id) {
    const Node& node = net.node(id);
    const at::Tensor in_idx =
        node.inputs.empty() ? at::Tensor() : kept_positions(analysis.layouts[node.inputs.front()], kept);
    const at::Tensor out_idx = kept_positions(analysis.layouts[id], kept);
    Op op = node.op;
    std::map<std::string, at::Tensor> tensors;
    auto take_rows = [&](const std::map<std::string, at::Tensor>& from) {
      for (const auto& [key, t] : from) tensors[key] = t.index_select(0, out_idx);
    };
    if (auto* c = std::get_if<Conv2dOp>(&op)) {
      const bool depthwise = c->groups > 1 && c->groups == c->in_channels && c->groups == c->out_channels;
      if (c->groups == 1) {
        c->in_channels = in_idx.numel();
        c->out_channels = out_idx.numel();
        tensors["weight"] = node.params.at("weight").index_select(0, out_idx).index_select(1, in_idx);
        if (c->bias) tensors["bias"] = node.params.at("bias").index_select(0, out_idx);
      } else if (depthwise) {
        c->groups = c->in_channels = c->out_channels = out_idx.numel();
        take_rows(node.params);
      }  // other grouped convs are frozen: unchanged
    } else if (auto* l = std::get_if<LinearOp>(&op)) {
      l->in_features = in_idx.numel();
      l->out_features = out_idx.numel();
      tensors["weight"] = node.params.at("weight").index_select(0, out_idx).index_select(1, in_idx);
      if (l->bias) tensors["bias"] = node.params.at("bias").index_select(0, out_idx);
    } else if (auto* b = std::get_if<BatchNormOp>(&op)) {
      b->num_features = out_idx.numel();
      take_rows(node.params);
      take_rows(node.buffers);
    }
    const int new_id = out.add(node.name, op, node.inputs);
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

}  // namespace mipp::graph
