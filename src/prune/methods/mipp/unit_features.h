// What MIPP sees of each unit: its activations on the calibration set, as the layers after it read
// them (after batch-norm and activation; pooled spatially for conv channels).
//
// A unit of group g is represented by the values g's consumers read from it. A conv channel is an
// [H, W] map; we average it to one number by default ("mean"), or pool it to p x p and treat the
// p^2 values as one multivariate unit (Westphal et al. treat filters as multivariate units;
// pooling keeps the estimators' dimension manageable). A feature read through a flatten (conv ->
// linear) is the same map, laid out flat. Units of a residual group are read by several layers
// from different tensors (each block's output); a unit then has one set of columns per distinct
// tensor read, so the test asks whether the channel adds information in any of the places the
// network uses it.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mipp/data/dataset.h"
#include "mipp/graph/analyze.h"
#include "mipp/graph/network.h"
#include "mipp/util/events.h"

namespace mipp::prune::mipp_method {

struct GroupFeatures {
  at::Tensor columns;                              // [n, columns] float32
  std::vector<std::vector<int64_t>> unit_columns;  // unit u -> its columns of `columns`
  // The units before their activation: the producer's output, after its batch-norm when one
  // follows; pooled like `columns`, `pool` values per unit, unit-major. Filled only when asked for,
  // and only for a group with one producer (a residual group's units are a sum read after it).
  at::Tensor pre_activations;
  // A residual group's branches, when asked for: per producer (in Group::producers' order), what
  // it adds to the sum — its output after its batch-norm, before the add — pooled like
  // pre_activations. A block-local target (MIPP's residual_target: branch).
  std::vector<at::Tensor> branches;
};

// All tensors here are on the CPU, whatever the network's device: the estimators compute there
// (include/mipp/info/estimator.h), and the pooled features are small next to the activations.
struct CalibrationFeatures {
  std::vector<GroupFeatures> groups;  // by group id
  at::Tensor output;                  // [n, outputs] float32: the network's output (logits)
  at::Tensor labels;                  // [n] int64, or undefined when the set has none
};

// Runs the calibration set through `net` (eval mode, batches of `batch_size`) and keeps, per group,
// its units' pooled activations (pool = p: p x p values per map; 1 = spatial mean), and their
// pre-activations when `pre_activations` is set, and the branches of residual groups when
// `residual_branches` is.
// Throws Error(kNumerical) naming the layer when an activation is NaN or infinite.
CalibrationFeatures compute_features(const graph::Network& net, const graph::Analysis& analysis,
                                     const data::Dataset& calibration, int64_t pool, int64_t batch_size,
                                     bool pre_activations, util::EventSink& sink, bool residual_branches = false);

}  // namespace mipp::prune::mipp_method
