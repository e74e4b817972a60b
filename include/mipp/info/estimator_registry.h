// The one table of MI estimators by name, for the CLI, config files and reports.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mipp/info/estimator.h"

namespace mipp::info {

// Names in table order: "gaussian", "linear", "ksg".
const std::vector<std::string>& estimator_names();

// The estimator `name` with its options as JSON (the fields of GaussianOptions, LinearOptions,
// KsgOptions; absent fields keep their defaults). Throws Error(kNotFound) for an unknown name
// (listing the valid ones), Error(kInvalidArgument) for options that are not an object or that
// the estimator's validate() rejects.
std::unique_ptr<Estimator> make_estimator(const std::string& name, const nlohmann::json& options);

// The default options of `name` as JSON (every field), so callers can tell which options an
// estimator has and reports can echo them in full. Throws Error(kNotFound) as make_estimator.
nlohmann::json estimator_options(const std::string& name);

}  // namespace mipp::info
