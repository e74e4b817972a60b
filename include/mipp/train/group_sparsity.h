// train::GroupSparsity — OTO's optimiser (Chen et al., "Only Train Once", NeurIPS 2021, and OTOv2,
// ICLR 2023): training drives a target fraction of the units to exactly zero, so that they can be
// removed afterwards without changing what the network computes (graph/unit_rows.h).
//
// OTOv2's dual half-space projected gradient (DHSPG), on top of the trainer's own optimiser:
//  - Partition, at the first step: every unit is scored by 0.5 * cos(-x, -d) + 0.5 / mean|x| (x its
//    entries, d the step's search direction; each term normalised over all units), and the
//    `target` fraction with the highest scores — small, and with a step that already points to
//    zero — become redundant; the rest train as usual. No group keeps fewer than `min_width`.
//  - A redundant unit's step gains a group-lasso pull -lr * lambda_u * x / |x|. lambda_u is
//    `lambda`, raised for a unit whose step moves away from zero (x . d < 0) to lambda_amplify
//    times the least pull that turns it back, capped at lambda * lambda_max_factor and below the
//    pull that would reverse the step altogether (then midway).
//  - Half-space projection: a redundant unit whose new entries x' leave the half-space
//    x' . x >= epsilon * |x|^2 is set to zero, and stays zero.
// The search direction d is what the trainer's optimiser did, (x_before - x_after) / lr: SGD's
// momentum and weight decay included, as DHSPG's gradient variant. Units count as in a `units`
// budget: the groups of graph::analyze, frozen channels excluded.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "mipp/graph/analyze.h"
#include "mipp/graph/network.h"
#include "mipp/train/options.h"

namespace mipp::train {

class GroupSparsity {
 public:
  // Throws Error(kInvalidArgument) when the target cannot be reached above the min width.
  GroupSparsity(const graph::Network& net, const GroupSparsityOptions& options);

  // Around every optimiser step: before() keeps the entries the step starts from; after() applies
  // the partition (first time), the pull and the projection, at the step's learning rate.
  void before_step();
  void after_step(double lr);

  // Fraction of the units that are exactly zero.
  double zero_fraction() const;
  // The partition, for checkpoints: a resumed run continues with the same redundant units.
  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  const graph::Network& net_;
  GroupSparsityOptions options_;
  graph::Analysis analysis_;
  std::vector<std::vector<at::Tensor>> rows_;  // per group: graph::unit_rows
  std::vector<at::Tensor> before_;             // per group: [units, k] entries before the step
  std::vector<at::Tensor> redundant_;          // per group: [units] bool; empty before the partition
  int64_t to_zero_ = 0;                        // units to drive to zero

  void partition(const std::vector<at::Tensor>& directions);
};

}  // namespace mipp::train
