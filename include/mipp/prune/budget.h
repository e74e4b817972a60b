// prune::Budget — how much to remove, measured how, under which constraints; and select_units(),
// the one place where unit scores become keep-sets, the same way for every method.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include "mipp/graph/analyze.h"
#include "mipp/graph/slice.h"

namespace mipp::prune {

struct Budget {
  double sparsity = 0.5;         // fraction removed, in [0, 1), measured in `target`
  std::string target = "units";  // "units", "params" or "macs" (of the whole network)
  // "global": one ranking of all units across groups; "layer": the same fraction of units in every
  // group (found by bisection when the target is params or MACs); "custom": layer_sparsity per
  // group name, `sparsity` unused.
  std::string scope = "global";
  std::map<std::string, double> layer_sparsity;  // custom scope: group name -> fraction of units removed
  double max_layer_sparsity = 1.0;  // no group loses more than this fraction of its units, in (0, 1]
  int64_t min_width = 1;            // no group keeps fewer units than this (absolute), >= 1
  double min_width_fraction = 0;    // ... nor fewer than this fraction of its units, in [0, 1)
  int64_t round_to = 1;             // kept units per group are rounded up to a multiple of this
};

void validate(const Budget& b);
void to_json(nlohmann::json& j, const Budget& b);

// What a selection achieved, for reports.
struct Selection {
  graph::KeepSets keep;
  double achieved = 0;                      // sparsity reached, in the budget's target measure
  std::vector<std::string> at_min_width;    // groups held at their floor (collapsed layers)
  // Set when the method also changed weights (least-squares reweighting of the layers after the
  // removed units): the network to slice instead of the one it was given; same architecture.
  std::optional<graph::Network> network;
};

// Units group `g` keeps at the least under `b`: the absolute and relative minimum widths and the
// cap on how much may go, rounded up to the channel multiple.
int64_t unit_floor(const graph::Group& g, const Budget& b);

// n rounded up to a multiple of `multiple`, at most `cap`.
int64_t round_up(int64_t n, int64_t multiple, int64_t cap);

// Keeps, per the budget, the highest-scored units. scores[g]: [size of group g] on any device,
// higher = more important; ties broken by unit index (lower index kept first) so results are deterministic.
// Throws Error(kInvalidArgument) before any work when the budget is infeasible (names the most
// that can be reached), a score tensor has the wrong size, or a score is NaN (names the group).
Selection select_units(const graph::Network& net, const graph::Analysis& analysis,
                       const std::vector<at::Tensor>& scores, const Budget& budget);

// The sparsity of keeping `keep` in the given target measure ("units", "params", "macs").
double measure_sparsity(const graph::Network& net, const graph::Analysis& analysis, const graph::KeepSets& keep,
                        const std::string& target);

}  // namespace mipp::prune
