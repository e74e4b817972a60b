// graph::analyze — the channel groups of a network: what must be removed together.
//
// A *unit* is one output channel of a conv or one output feature of a linear layer. Removing a
// unit touches every tensor that has a slice for it: the producer's weight rows and bias, the
// batch-norm entries and depthwise-conv filters that follow, and the input slice of every
// consumer. A *group* is the set of producers whose units are removed together: one conv or
// linear layer, or, where a residual add joins tensors, every producer feeding that add (a whole
// ResNet stage, its projection shortcut included), since added channels must stay aligned.
//
// How channels travel (worked example, LeNet-5: conv2 [16, 10, 10] -> relu -> pool [16, 5, 5] ->
// flatten [400] -> fc1): conv2's unit u is channel u of relu and pool, and features
// 25u .. 25u+24 of the flattened vector, i.e. fc1's input columns [25u, 25u+25).
//   producers  conv, linear (groups 1)      start a new channel space
//   per-channel batch-norm, depthwise conv  slice dim 0 of their tensors, pass channels on
//   pass-through activations, pooling, dropout, identity, adaptive pooling
//   flatten    channel u of [C, H, W] becomes features [u*H*W, (u+1)*H*W)
//   add        couples the channel spaces of all its inputs (union)
//   concat     shifts each input's channels by the widths before it
// Never pruned ("frozen"): the network input, the network output's units (classifier outputs),
// the inputs and outputs of grouped convs that are not depthwise, channel spaces an add mixes
// in ways that cannot stay aligned (an add of a concatenation), and the channels of nodes marked
// frozen (Node::frozen: an imported model hard-codes their number). Analysis reports why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mipp/graph/network.h"

namespace mipp::graph {

// The units of a group occupy channels [offset + u * span, offset + (u + 1) * span) of a node's
// output (per_channel) or of a consumer's input (consumers), for unit u = 0 .. size-1.
struct ChannelSlice {
  int node = 0;
  int64_t offset = 0;
  int64_t span = 1;
};

struct Group {
  int id = 0;
  std::string name;              // the first producer's name, e.g. "layer1.0.conv1"
  int64_t size = 0;              // number of units
  std::vector<int> producers;    // conv/linear nodes whose output channels are the units
  std::vector<ChannelSlice> per_channel;  // batch-norm and depthwise conv nodes: dim-0 slices
  std::vector<ChannelSlice> consumers;    // conv/linear nodes reading the units: weight dim-1 slices
  bool is_residual() const { return producers.size() > 1; }
};

// A segment of a node's output channels that belongs to one channel space.
struct LayoutSegment {
  int space = 0;       // index into Analysis::space_group
  int64_t offset = 0;  // first channel of the segment in the node's output
  int64_t units = 0;   // units of the space covered
  int64_t span = 1;    // channels per unit (H*W after a flatten)
};

struct Analysis {
  std::vector<Group> groups;
  // Per node: which channel spaces its output's channels (dimension 1) come from, in order.
  std::vector<std::vector<LayoutSegment>> layouts;
  // Per channel space: its group id, or -1 when frozen.
  std::vector<int> space_group;
  // Why channel spaces were frozen, one line each ("input: the network input").
  std::vector<std::string> frozen;
};

Analysis analyze(const Network& net);

}  // namespace mipp::graph
