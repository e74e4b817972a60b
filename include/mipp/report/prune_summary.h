// The human-readable summary of a pruning report (pipeline::prune_model's JSON): what `mipp prune`
// prints and what Python's mipp.Report shows, from one implementation.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace mipp::report {

// Lines: method and sparsity, MIPP's statistics, the reconstruction error of refitted layers,
// widths per group, params and MACs before and after, collapsed groups, accuracy when measured.
std::string prune_summary(const nlohmann::json& report);

}  // namespace mipp::report
