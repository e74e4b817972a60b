// Layer-by-layer pruning with reconstruction, first layer to last: the driver shared by the
// submodular method, ThiNet and least-squares reweighting (--reweight).
//
// For each group, in the order of its first producer, the driver collects the Grams of the inputs
// of the layers that read the group (its consumers), asks a LayerChooser which units to keep,
// then rewrites the consumers' weights in a working copy of the network: removed units' input
// columns become zero (so the working copy computes what the sliced network will) and the kept
// columns get least-squares weights (or ThiNet's per-unit scales, or stay as they are). Later groups
// see the working copy's activations, so each layer can correct the errors of the ones before.
//
// Which activations a layer is fitted on (El Halabi et al.'s variants):
//   layer  B = A = the original network's input (layers independent of each other)
//   seq    B = A = the working copy's input (target: what the unchanged consumer computes now)
//   asym   B = the working copy's input, A = the original's (errors do not accumulate); default
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/data/dataset.h"
#include "mipp/graph/analyze.h"
#include "mipp/graph/network.h"
#include "mipp/graph/slice.h"
#include "mipp/prune/budget.h"
#include "mipp/prune/method.h"
#include "mipp/util/events.h"
#include "prune/reconstruction/consumer_grams.h"

namespace mipp::prune::reconstruction {

// One consumer of the group being decided: its Grams and which of its input columns are whose.
struct ConsumerView {
  ConsumerGrams grams;
  // unit_columns[u]: the columns unit u of the group owns in this consumer's input (all kappa
  // long: span channels times kernel positions).
  std::vector<std::vector<int64_t>> unit_columns;
  // Columns that stay whatever is decided: other channel spaces' kept columns and, when the
  // consumer has a bias, the ones column.
  std::vector<int64_t> fixed_columns;
};

// The conv and linear nodes that read group g's units, each once, in the group's order.
std::vector<int> consumer_nodes(const graph::Group& g);

// Views of g's consumers from their Grams. `removed`: per consumer node, input columns of units
// removed earlier (neither fixed nor candidates).
std::vector<ConsumerView> consumer_views(const graph::Group& g, std::vector<ConsumerGrams> grams,
                                         const std::map<int, std::set<int64_t>>& removed = {});

// Chooses `keep` units (sorted ascending) of group `g` out of g.size, from its consumers' views.
using LayerChooser = std::function<std::vector<int64_t>(const graph::Group& g, const std::vector<ConsumerView>& views,
                                                        int64_t keep)>;

enum class WeightUpdate {
  kNone,          // removed columns zeroed, the rest unchanged (plain removal)
  kLeastSquares,  // kept columns and bias refitted by least squares
  kScaling,       // ThiNet: one least-squares scale per kept unit, on the consumer's output
};

struct SequentialOptions {
  std::string variant = "asym";  // layer, seq or asym
  WeightUpdate update = WeightUpdate::kLeastSquares;
  GramOptions grams;
};

struct SequentialResult {
  graph::Network network;  // the working copy: same architecture, removed columns zero
  graph::KeepSets keep;
  // Per group: kept units, and per consumer the relative reconstruction error of plain removal and
  // after the weight update, on the calibration set.
  nlohmann::json layers = nlohmann::json::array();
};

// counts[g]: units group g keeps. REQUIRES: 1 <= counts[g] <= size of g. A group that keeps all
// its units is passed over: the layers after it keep their weights.
SequentialResult prune_sequentially(const graph::Network& net, const graph::Analysis& analysis,
                                    const data::Dataset& calibration, const std::vector<int64_t>& counts,
                                    const LayerChooser& choose, const SequentialOptions& options,
                                    util::EventSink& sink);

// How many units each group keeps under `budget` when its scope is "layer" or "custom" (the counts
// do not depend on scores there): a Selection whose keep-sets are placeholders, of the right sizes.
prune::Selection counts_for_budget(const graph::Network& net, const graph::Analysis& analysis,
                                   const prune::Budget& budget);

// For the methods built on the driver: runs it on in.calibration with the per-group counts of
// `counts` (keep-sets of the right sizes, as from counts_for_budget) and returns `counts` completed
// with the chosen keep-sets, the sparsity they reach in `target`, and the refitted network.
// `layers` receives the per-layer records.
prune::Selection select_sequentially(const prune::MethodInputs& in, prune::Selection counts, const std::string& target,
                                     const LayerChooser& choose, const SequentialOptions& options,
                                     nlohmann::json& layers);

// Group ids by their first producer's position in the network: the first layer first.
std::vector<int> input_to_output_order(const graph::Analysis& analysis);

}  // namespace mipp::prune::reconstruction
