// Gradient-based criteria that read labelled calibration data (one factory each).
//   snip    structured SNIP (Lee et al. 2019; the per-channel mask of ProsPr's structured mode with
//           M = 0): s_u = |dL/dc_u| = |sum over the unit's weights and bias, in every producer of
//           its group, of theta * dL/dtheta|, gradients summed over the calibration batches, eval
//           mode. {"reduction": "abs-of-sum" (default) | "sum-of-abs"}, {"batch_size": 128}.
//   taylor  Taylor-FO-BN (Molchanov et al. 2019): a gate after each unit's batch-norm (after the
//           producer when the group has none); I_u = (sum_gates g * dL/dg)^2 per mini-batch, averaged
//           over batches, eval mode. {"batch_size": 128}.
//   grasp   GraSP (Wang et al. 2020): -S_u = sum of theta * Hg over u's weights (gradient-flow
//           preservation; GraSP removes the largest S). {"samples_per_class": 10, "temperature": 200}.
//   prospr  ProsPr (Alizadeh et al. 2022): |dL/dc_u| after M unrolled SGD steps from c * theta_0.
//           {"steps": 3, "inner_lr": 0.1, "momentum": 0, "batch_size": 128, "mode": "full"}.
//   sosp    SOSP-H (Nonnenmacher et al. 2022): s_u = |-theta^T P_u g + 1/2 theta^T P_u H theta| over u's
//           weights (second-order loss change of removing u, its partners approximated by all
//           weights: one curvature-vector product H theta for every unit), mean loss over the
//           calibration batches, eval mode. {"curvature": "gauss_newton" (default) | "hessian"},
//           {"batch_size": 128}.
#pragma once

#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "mipp/prune/method.h"
#include "prune/methods/calibration_batches.h"

namespace mipp::prune {

std::unique_ptr<Method> make_snip_method(const nlohmann::json& options);
std::unique_ptr<Method> make_taylor_method(const nlohmann::json& options);
std::unique_ptr<Method> make_grasp_method(const nlohmann::json& options);
std::unique_ptr<Method> make_prospr_method(const nlohmann::json& options);
std::unique_ptr<Method> make_sosp_method(const nlohmann::json& options);

}  // namespace mipp::prune
