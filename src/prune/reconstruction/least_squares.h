// Least squares on Gram matrices: how well a subset S of a layer's input columns reconstructs a
// target T, and the weights that do it best, without touching the rows again.
//
// ResidualState is Gram–Schmidt carried out on B^T B and B^T T: adding columns J projects them out
// of every other column and of the target (a rank-|J| downdate), so the energy a candidate block
// would explain next is a |J| x |J| problem, and a greedy step costs O(D^2 |J| + D m |J|) however
// many rows the Grams summarise. Dependent columns (eigenvalues below the tolerance) explain
// nothing, as El Halabi et al.'s rcond cut-off.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "prune/reconstruction/consumer_grams.h"

namespace mipp::prune::reconstruction {

// Column indices as an int64 tensor on `device`: the Grams' device (the network's), where
// index_select, index and index_put_ need their indices.
at::Tensor column_index(const std::vector<int64_t>& columns, c10::Device device);

class ResidualState {
 public:
  // bb = B^T B [D, D], bt = B^T T [D, m], target_energy = ||T||_F^2, all float64.
  ResidualState(const at::Tensor& bb, const at::Tensor& bt, double target_energy);
  // The asymmetric target T = A W^T of a consumer: bt = B^T A W^T, energy tr(W A^T A W^T).
  static ResidualState for_consumer(const ConsumerGrams& g);

  // Adds the columns `columns` to S; returns the target energy they explain.
  double add(const std::vector<int64_t>& columns);
  // blocks [d, kappa] int64 (any device), one row of columns per candidate: the energy each would
  // explain if added next, [d] float64 on the Grams' device.
  at::Tensor gains(const at::Tensor& blocks) const;
  // ||T - proj_S T||^2.
  double residual_energy() const { return residual_; }
  // Energy of each candidate block's columns left after projecting out S, [d]: how much new
  // direction a block brings, used to fill up when no block explains anything more. Devices as in
  // gains().
  at::Tensor novelty(const at::Tensor& blocks) const;

 private:
  at::Tensor g_;  // R^T R, R = B with S projected out
  at::Tensor c_;  // R^T E, E = T with S projected out
  double residual_;
  double tolerance_;  // eigenvalues below it count as zero
};

// min over W~ of ||B_S W~ - T||^2 for the asymmetric target of `g`, columns S = `columns`: the
// coefficients [|S|, m] (a pseudo-inverse solution; dependent columns get zero weight).
at::Tensor solve_columns(const ConsumerGrams& g, const std::vector<int64_t>& columns);

// ||B X - T||^2 / ||T||^2 for a full [D, m] coefficient matrix X (rows outside S zero): the
// relative reconstruction error of the consumer's input change.
double relative_error(const ConsumerGrams& g, const at::Tensor& coefficients);

}  // namespace mipp::prune::reconstruction
