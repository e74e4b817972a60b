// graph::slice — physical removal of units, and the masks that preview it.
//
// A keep-set lists, per group (by Group::id), the units that stay, in increasing order. slice()
// returns a new, smaller Network: producers lose weight rows and bias entries, batch-norm and
// depthwise convs lose their entries, consumers lose input columns; shapes shrink accordingly and
// nothing of a removed unit remains (its batch-norm shift included). unit_masks() gives masks for
// graph::forward that zero the removed units after every node that carries them, so that
//   forward(net, x, {masks = unit_masks(...)}) == forward(slice(net, ...), x)
// in eval mode, up to float rounding.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mipp/graph/analyze.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/network.h"

namespace mipp::graph {

// keep[g]: sorted unit indices of group g that stay.
using KeepSets = std::vector<std::vector<int64_t>>;

// Every unit of every group kept.
KeepSets keep_all(const Analysis& analysis);

// Throws Error(kInvalidArgument) naming the group when a keep-set is unsorted, has duplicates or
// indices out of range, is empty (a layer never loses all its units), or when the count differs
// from the number of groups.
void validate(const Analysis& analysis, const KeepSets& keep);

// node id -> [C] float mask with zeros at removed channels; only nodes that lose channels appear.
// The masks are on the network's device.
std::map<int, at::Tensor> unit_masks(const Network& net, const Analysis& analysis, const KeepSets& keep);

// REQUIRES: analysis == analyze(net). The result shares no tensors with `net` and is on its device.
Network slice(const Network& net, const Analysis& analysis, const KeepSets& keep);

// total_cost(slice(net, analysis, keep)), computed from the ops alone without copying tensors:
// cheap enough for budget searches that try many keep-sets.
Cost sliced_cost(const Network& net, const Analysis& analysis, const KeepSets& keep);

}  // namespace mipp::graph
