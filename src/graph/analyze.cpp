#include "mipp/graph/analyze.h"

#include <numeric>

#include "mipp/util/error.h"
#include "mipp/util/overloaded.h"

namespace mipp::graph {

namespace {

using Layout = std::vector<LayoutSegment>;

// Channel spaces with union-find: an add unites the spaces it joins; a frozen member freezes all.
class Spaces {
 public:
  int create(int64_t units, int producer) {
    parent_.push_back(static_cast<int>(parent_.size()));
    units_.push_back(units);
    producer_.push_back(producer);
    frozen_.push_back(false);
    return parent_.back();
  }
  int find(int s) {
    while (parent_[s] != s) s = parent_[s] = parent_[parent_[s]];
    return s;
  }
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (b < a) std::swap(a, b);  // the earliest space is the root, so groups are named by it
    parent_[b] = a;
    frozen_[a] = frozen_[a] || frozen_[b];
  }
  void freeze(int s) { frozen_[find(s)] = true; }
  bool frozen(int s) { return frozen_[find(s)]; }
  int64_t units(int s) const { return units_[s]; }
  int producer(int s) const { return producer_[s]; }
  int size() const { return static_cast<int>(parent_.size()); }

 private:
  std::vector<int> parent_;
  std::vector<int64_t> units_;
  std::vector<int> producer_;  // node that created the space; -1 for the network input
  std::vector<bool> frozen_;
};

Layout fresh(Spaces& spaces, int64_t units, int producer) { return {{spaces.create(units, producer), 0, units, 1}}; }

int64_t channels(const Layout& layout) {
  int64_t n = 0;
  for (const LayoutSegment& s : layout) n += s.units * s.span;
  return n;
}

// A tensor's channels are "whole" when they are exactly one space, in order, one channel per unit.
bool is_whole(const Layout& layout) {
  return layout.size() == 1 && layout[0].offset == 0 && layout[0].span == 1;
}

struct SliceRecord {
  int node;
  Layout layout;
  bool consumer;  // true: weight dim-1 slice; false: per-channel dim-0 slice
};

}  // namespace

Analysis analyze(const Network& net) {
  Spaces spaces;
  Analysis a;
  a.layouts.resize(net.num_nodes());
  std::vector<SliceRecord> records;
  auto freeze_all = [&](const Layout& layout, const std::string& why) {
    for (const LayoutSegment& s : layout) {
      if (!spaces.frozen(s.space)) a.frozen.push_back(why);
      spaces.freeze(s.space);
    }
  };

  a.layouts[0] = fresh(spaces, net.input_shape().front(), -1);
  freeze_all(a.layouts[0], "input: the network input is never pruned");
  for (int id = 1; id < net.num_nodes(); ++id) {
    const Node& node = net.node(id);
    const Layout in = node.inputs.empty() ? Layout{} : a.layouts[node.inputs.front()];
    a.layouts[id] = std::visit(
        util::Overloaded{
            [&](const Conv2dOp& c) -> Layout {
              if (c.groups == 1) {
                records.push_back({id, in, true});
                return fresh(spaces, c.out_channels, id);
              }
              if (c.groups == c.in_channels && c.groups == c.out_channels) {  // depthwise: channel u -> u
                records.push_back({id, in, false});
                return in;
              }
              freeze_all(in, fmt::format("{}: input of a grouped conv ({} groups)", node.name, c.groups));
              Layout out = fresh(spaces, c.out_channels, id);
              freeze_all(out, fmt::format("{}: output of a grouped conv ({} groups)", node.name, c.groups));
              return out;
            },
            [&](const LinearOp& l) -> Layout {
              records.push_back({id, in, true});
              return fresh(spaces, l.out_features, id);
            },
            [&](const BatchNormOp&) -> Layout {
              records.push_back({id, in, false});
              return in;
            },
            [&](const FlattenOp&) -> Layout {
              const Shape& s = net.node(node.inputs.front()).out_shape;
              if (s.size() == 1) return in;
              const int64_t hw = s[1] * s[2];
              Layout out = in;
              for (LayoutSegment& seg : out) {
                seg.offset *= hw;
                seg.span *= hw;
              }
              return out;
            },
            [&](const AddOp&) -> Layout {
              bool all_whole = true;
              for (int j : node.inputs) all_whole = all_whole && is_whole(a.layouts[j]);
              if (all_whole) {
                for (int j : node.inputs) spaces.unite(a.layouts[j][0].space, in[0].space);
                return in;
              }
              for (int j : node.inputs) {
                freeze_all(a.layouts[j], fmt::format("{}: an add of concatenated or flattened channels", node.name));
              }
              return in;
            },
            [&](const ConcatOp&) -> Layout {
              Layout out;
              int64_t offset = 0;
              for (int j : node.inputs) {
                for (LayoutSegment seg : a.layouts[j]) {
                  seg.offset += offset;
                  out.push_back(seg);
                }
                offset += channels(a.layouts[j]);
              }
              return out;
            },
            // Activations, pooling, dropout and identity keep channels as they are.
            [&](const auto&) -> Layout { return in; },
        },
        node.op);
    if (!node.frozen.empty()) freeze_all(a.layouts[id], fmt::format("{}: {}", node.name, node.frozen));
  }
  freeze_all(a.layouts[net.output()],
             fmt::format("{}: the network's outputs are never pruned", net.node(net.output()).name));

  // One group per unfrozen root space, in the order of their first producer.
  std::vector<int> root_group(spaces.size(), -1);
  a.space_group.assign(spaces.size(), -1);
  for (int s = 0; s < spaces.size(); ++s) {
    const int root = spaces.find(s);
    if (spaces.frozen(root)) continue;
    if (root_group[root] < 0) {
      Group g;
      g.id = static_cast<int>(a.groups.size());
      g.name = net.node(spaces.producer(root)).name;
      g.size = spaces.units(root);
      root_group[root] = g.id;
      a.groups.push_back(std::move(g));
    }
    a.space_group[s] = root_group[root];
    a.groups[root_group[root]].producers.push_back(spaces.producer(s));
  }
  for (const SliceRecord& r : records) {
    for (const LayoutSegment& seg : r.layout) {
      const int g = a.space_group[seg.space];
      if (g < 0) continue;
      auto& list = r.consumer ? a.groups[g].consumers : a.groups[g].per_channel;
      list.push_back({r.node, seg.offset, seg.span});
    }
  }
  return a;
}

}  // namespace mipp::graph
