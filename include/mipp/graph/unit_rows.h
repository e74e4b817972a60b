// graph::unit_rows — every parameter entry a group's units own, as row views, so that a unit can be
// read or silenced as a whole: OTO's zero-invariant groups (Chen et al. 2021).
//
// A unit owns its producers' weight rows and bias entries and its batch-norm and depthwise-conv
// entries (analyze.h); the consumers' input columns are not its own. With all of them zero the
// unit's output is zero whatever the input (a conv or linear row of zeros plus a zero bias, then a
// batch-norm with zero scale and shift), so after an activation with f(0) = 0 (ReLU, GELU, tanh,
// SiLU; not sigmoid) it adds nothing to the layers it feeds and can be removed without changing
// what the network computes.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

#include "mipp/graph/analyze.h"
#include "mipp/graph/network.h"

namespace mipp::graph {

// Views [g.size, k] into the network's own parameters, one per parameter the units own: row u of
// every view is unit u's part of it. Writing into a view writes into the network (under
// at::NoGradGuard for parameters that require gradients). Throws Error(kInvalidArgument) naming a
// parameter not stored contiguously (a channels-last conv weight), which has no such view.
std::vector<at::Tensor> unit_rows(const Network& net, const Group& g);

// The L2 norm of each unit's entries over all of unit_rows(): [g.size], float64, on the network's
// device; exactly 0 for a silenced unit.
at::Tensor unit_norms(const Network& net, const Group& g);

}  // namespace mipp::graph
