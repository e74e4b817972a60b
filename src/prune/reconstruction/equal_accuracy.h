// Per-layer budgets that cost every layer the same accuracy (El Halabi et al. 2022, after Kuzmin
// et al. 2019): prune one layer at a time at a grid of fractions kept, measure accuracy on labelled
// verification data, then find the highest accuracy a such that keeping, in every layer, the
// fewest units that still reach a fits the budget. What is left of the budget goes to the layers
// that keep the largest fractions first.
//
// The labelled verification data are a cost beyond the unlabelled calibration images the
// selection itself uses; reports state how many were read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mipp::prune::reconstruction {

// The fractions kept that are tried per layer (22 values, as the reference code).
const std::vector<double>& one_layer_fractions();

struct LayerCurve {
  int64_t size = 0;               // units of the layer
  int64_t floor = 1;              // fewest units it may keep
  std::vector<int64_t> counts;    // units kept, increasing
  std::vector<double> accuracy;   // verification top-1 with only this layer pruned to counts[i]
};

struct EqualAccuracyBudget {
  std::vector<int64_t> counts;  // units kept per layer
  double target_accuracy = 0;   // the accuracy every layer reaches on its own at these counts
};

// `curves[g]` for every group; `max_kept`: units that may stay in all. Accuracies are first made
// non-decreasing in the count (the monotone envelope), then a is bisected to 1e-5.
// Throws Error(kInvalidArgument) when even the floors exceed max_kept.
EqualAccuracyBudget solve_equal_accuracy(const std::vector<LayerCurve>& curves, int64_t max_kept);

void to_json(nlohmann::json& j, const LayerCurve& c);

}  // namespace mipp::prune::reconstruction
