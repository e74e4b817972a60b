// The reconstruction baselines: methods that choose a layer's units by how well the kept ones let
// the next layer reproduce its output, and adjust that layer's weights to match (see
// src/prune/reconstruction/).
//   submodular  greedy column-subset selection with least-squares reweighting (El Halabi et al.
//               2022); options: variant (asym | seq | layer), epsilon (stochastic greedy), budget
//               (scope: the --scope's per-layer counts | equal-accuracy: from one-layer accuracy
//               curves on verification_samples labelled images), patches (all | disjoint |
//               random), float64, batch_size
//   thinet      greedy removal of the units whose contributions to the next layer's output are
//               smallest together, then a least-squares scale per kept unit (Luo et al. 2017);
//               options: patches, float64, batch_size
// Both use unlabelled calibration data (512 images by default) and go first layer to last.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/prune/method.h"
#include "prune/reconstruction/consumer_grams.h"

namespace mipp::prune {

std::unique_ptr<Method> make_submodular_method(const nlohmann::json& options);
std::unique_ptr<Method> make_thinet_method(const nlohmann::json& options);

// Reads the options both share (patches, float64, batch_size), rejecting keys not in `allowed`.
reconstruction::GramOptions gram_options_from(const std::string& method, const nlohmann::json& options,
                                              const std::vector<std::string>& allowed);

}  // namespace mipp::prune
