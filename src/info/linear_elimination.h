// The linear estimator's Elimination (see include/mipp/info/elimination.h and linear_proxy.h).
#pragma once

#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "mipp/info/elimination.h"

namespace mipp::info {

// options: LinearOptions as JSON ({"ridge": ...}).
std::unique_ptr<Elimination> make_linear_elimination(const nlohmann::json& options, const EliminationProblem& problem);

}  // namespace mipp::info
