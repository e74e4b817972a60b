// Exact parameter and multiply-accumulate (MAC) counts of a Network, per node and in total.
//
// Convention (docs/USAGE.md, "Counting"): one multiply-accumulate is 1 MAC, counted per sample.
//   conv2d : out_C * out_H * out_W * (in_C / groups) * kH * kW
//   linear : in_features * out_features
// Bias additions, batch-norm, activations, pooling, additions and concatenations count 0 MACs
// (batch-norm folds into the preceding conv at inference). Parameters are the learnable tensors
// (weights, biases, batch-norm affine weight and bias); running statistics are buffers, not params.
#pragma once

#include <cstdint>
#include <vector>

#include "mipp/graph/network.h"

namespace mipp::graph {

struct Cost {
  int64_t params = 0;
  int64_t macs = 0;
};

// The cost of an op producing `out_shape`, from its attributes alone (no tensors needed).
Cost op_cost(const Op& op, const Shape& out_shape);

Cost node_cost(const Network& net, int id);
std::vector<Cost> node_costs(const Network& net);  // indexed by node id
Cost total_cost(const Network& net);

// Memory a forward pass of `batch` samples needs for activations, roughly: three float32 copies
// of the largest per-sample activation (input, output and a temporary) per sample, saturating at
// INT64_MAX. An estimate for refusing impossible requests early (util::check_memory), not a
// profile.
int64_t forward_memory_bytes(const Network& net, int64_t batch);
// Memory a training step of `batch` samples needs at least: every activation is kept for the
// backward pass and gets a gradient of its size (float32, saturating at INT64_MAX).
int64_t training_memory_bytes(const Network& net, int64_t batch);

}  // namespace mipp::graph
