// graph::forward — the one functional forward pass over a Network.
//
// Besides plain inference it serves three needs of pruning methods:
//  (a) substituted parameters: the caller passes tensors that replace the network's own, by
//      qualified name ("features.0.weight"); gradients then flow to the caller's tensors (used for
//      meta-gradients through unrolled training steps);
//  (b) taps: the outputs of chosen nodes are returned alongside the network output;
//  (c) masks: a node's output is multiplied by a per-channel mask [C] (broadcast over the batch
//      and spatial dimensions), so a pruning decision can be tried before anything is removed.
//
// Training mode makes batch-norm use batch statistics and dropout drop. As in PyTorch, training
// mode updates the batch-norm running statistics in place (the network's buffer tensors), unless
// update_running_stats is false.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "mipp/graph/network.h"

namespace mipp::graph {

struct ForwardOptions {
  bool training = false;              // batch statistics in batch-norm, active dropout
  bool update_running_stats = true;   // training mode only: update batch-norm running mean/var
  // Replacements for parameters, by qualified name "node.key"; names not present use the network's.
  const std::unordered_map<std::string, at::Tensor>* parameters = nullptr;
  std::vector<int> taps;              // node ids whose outputs are returned in ForwardResult::taps
  std::map<int, at::Tensor> masks;    // node id -> [C] multiplier on that node's output channels
  std::optional<at::Generator> generator;  // dropout randomness; the global generator if unset
};

struct ForwardResult {
  at::Tensor output;                  // [N, ...] value of the network's output node
  std::map<int, at::Tensor> taps;     // node id -> [N, ...] (after its mask, if any)
};

// REQUIRES: input is [N, ...input_shape] (float).
// Throws Error(kInvalidArgument) when the input shape, a tap, a mask or a substituted parameter
// does not fit the network.
ForwardResult forward(const Network& net, const at::Tensor& input, const ForwardOptions& options = {});

}  // namespace mipp::graph
