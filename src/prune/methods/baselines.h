// The data-free baseline criteria (one factory each; classes in their .cpp files).
//   random     uniform scores from the seed: the control every method must beat
//   magnitude  the Lp norm of each unit's producer weights (Li et al. 2017, "filter L1"), summed
//              over the producers of a residual group
//   bn-scale   |gamma| of the batch-norm after each unit (Liu et al. 2017, network slimming), summed
//              over the group's batch-norms
//   synflow    synaptic flow of the linearised network on an all-ones input (Tanaka et al. 2020)
//   oto        the norm of each unit's zero-invariant group: removes what OTO's group-sparsity
//              training zeroed (Chen et al. 2021, 2023; train/group_sparsity.h)
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "mipp/prune/method.h"

namespace mipp::prune {

std::unique_ptr<Method> make_random_method(const nlohmann::json& options);
std::unique_ptr<Method> make_magnitude_method(const nlohmann::json& options);  // {"norm": 1 | 2}
std::unique_ptr<Method> make_bn_scale_method(const nlohmann::json& options);
std::unique_ptr<Method> make_synflow_method(const nlohmann::json& options);
std::unique_ptr<Method> make_oto_method(const nlohmann::json& options);

}  // namespace mipp::prune
