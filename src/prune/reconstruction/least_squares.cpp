#include "prune/reconstruction/least_squares.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/TensorIndexing.h>
#include <ATen/ops/linalg_eigh.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>

namespace mipp::prune::reconstruction {

namespace {

// Relative eigenvalue cut-off: float64 Grams of rows in [0, 1e3] keep about 1e-12 of precision.
constexpr double kRelativeTolerance = 1e-11;

}  // namespace

at::Tensor column_index(const std::vector<int64_t>& columns, c10::Device device) {
  return at::tensor(columns, at::kLong).to(device);
}

ResidualState::ResidualState(const at::Tensor& bb, const at::Tensor& bt, double target_energy)
    : g_(bb.clone()), c_(bt.clone()), residual_(target_energy) {
  const double scale = bb.numel() > 0 ? bb.diagonal().max().item<double>() : 0.0;
  tolerance_ = std::max(scale, 1e-300) * kRelativeTolerance;
}

ResidualState ResidualState::for_consumer(const ConsumerGrams& g) {
  const at::Tensor bt = g.ba.mm(g.weight.t());
  const double energy = g.weight.mm(g.aa).mul(g.weight).sum().item<double>();
  return ResidualState(g.bb, bt, energy);
}

double ResidualState::add(const std::vector<int64_t>& columns) {
  if (columns.empty()) return 0;
  const at::Tensor j = column_index(columns, g_.device());
  const auto [values, vectors] = at::linalg_eigh(g_.index({j}).index({at::indexing::Slice(), j}), "L");
  const at::Tensor kept = values > tolerance_;
  if (!kept.any().item<bool>()) return 0;
  // P = Lambda^{-1/2} V^T on the independent directions: P R_J^T is an orthonormal basis of R_J.
  const at::Tensor p = (vectors.index({at::indexing::Slice(), kept}) / values.index({kept}).sqrt()).t();
  const at::Tensor m = p.mm(g_.index({j}));  // [r, D]
  const at::Tensor n = p.mm(c_.index({j}));  // [r, m]
  g_ -= m.t().mm(m);
  c_ -= m.t().mm(n);
  const double explained = n.pow(2).sum().item<double>();
  residual_ = std::max(0.0, residual_ - explained);
  return explained;
}

at::Tensor ResidualState::gains(const at::Tensor& blocks) const {
  const int64_t d = blocks.size(0), kappa = blocks.size(1);
  const at::Tensor on_device = blocks.to(g_.device());
  const at::Tensor flat = on_device.flatten();
  // Diagonal blocks of R^T R: [d, kappa, kappa]; and R_u^T E: [d, kappa, m].
  const at::Tensor rows = g_.index({flat}).reshape({d, kappa, -1});
  const at::Tensor block_grams = rows.gather(2, on_device.unsqueeze(1).expand({d, kappa, kappa}));
  const at::Tensor cross = c_.index({flat}).reshape({d, kappa, -1});
  const auto [values, vectors] = at::linalg_eigh(block_grams, "L");
  // Energy explained = sum_i (v_i^T R_u^T E)^2 / lambda_i over the independent directions.
  const at::Tensor projected = vectors.transpose(1, 2).bmm(cross).pow(2).sum(2);  // [d, kappa]
  const at::Tensor inverse = at::where(values > tolerance_, 1.0 / values, at::zeros_like(values));
  return (projected * inverse).sum(1);
}

at::Tensor ResidualState::novelty(const at::Tensor& blocks) const {
  return g_.diagonal().index({blocks.to(g_.device()).flatten()}).reshape(blocks.sizes()).sum(1);
}

at::Tensor solve_columns(const ConsumerGrams& g, const std::vector<int64_t>& columns) {
  const at::Tensor j = column_index(columns, g.bb.device());
  const at::Tensor gram = g.bb.index({j}).index({at::indexing::Slice(), j});
  const at::Tensor rhs = g.ba.index({j}).mm(g.weight.t());  // B_S^T A W^T
  const auto [values, vectors] = at::linalg_eigh(gram, "L");
  const double tolerance = std::max(g.bb.diagonal().max().item<double>(), 1e-300) * kRelativeTolerance;
  const at::Tensor inverse = at::where(values > tolerance, 1.0 / values, at::zeros_like(values));
  return vectors.mm(inverse.unsqueeze(1) * vectors.t().mm(rhs));
}

double relative_error(const ConsumerGrams& g, const at::Tensor& coefficients) {
  // ||B X - A W^T||^2 = tr(X^T BB X) - 2 tr(X^T BA W^T) + tr(W AA W^T).
  const at::Tensor& x = coefficients;
  const double target = g.weight.mm(g.aa).mul(g.weight).sum().item<double>();
  const double fit = x.t().mm(g.bb).mul(x.t()).sum().item<double>();
  const double cross = x.mul(g.ba.mm(g.weight.t())).sum().item<double>();
  return target > 0 ? std::max(0.0, fit - 2 * cross + target) / target : 0.0;
}

}  // namespace mipp::prune::reconstruction
