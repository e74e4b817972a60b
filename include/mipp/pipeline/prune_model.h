// One pruning run: score the units with a method, select keep-sets under a budget, slice the
// network, and report what changed (widths, params, MACs, collapsed layers, timings, and accuracy
// before and right after pruning when test data are given). Behind `mipp prune`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "mipp/data/dataset.h"
#include "mipp/io/model_file.h"
#include "mipp/prune/budget.h"
#include "mipp/prune/reweight.h"
#include "mipp/util/events.h"

namespace mipp::pipeline {

struct PruneOptions {
  std::string method = "magnitude";
  nlohmann::json method_options = nlohmann::json::object();
  prune::Budget budget;
  uint64_t seed = 0;  // method randomness (random scores, calibration sampling)
  // Iterative pruning: `rounds` steps of score, select, remove, each re-scoring what is left, with
  // the sparsity after round k of R at 1 - (1 - s)^(k/R) ("exponential", SynFlow's schedule) or
  // s * k / R ("linear"). Floors (min width) apply in every round. 1 = one-shot.
  int rounds = 1;
  std::string round_schedule = "exponential";
  // Called after every round but the last with the network that round left (sliced, reweighted);
  // what it does to the weights carries into the next round's scores. Iterative magnitude pruning
  // retrains here (bench: a method's `retrain_epochs`). Empty: nothing between rounds.
  std::function<void(graph::Network& net, int round)> between_rounds;
  // Methods that save decisions as they go (mipp) write them here (empty: nowhere), and continue
  // from them when `resume`.
  std::string checkpoint_path;
  bool resume = false;
  // Least-squares reweighting of the layers after removed units, on the calibration data, for any
  // method (prune/reweight.h): after each round's selection, before slicing.
  bool reweight = false;
  prune::ReweightOptions reweight_options;
  // Re-estimate every batch-norm's running statistics on the calibration data after pruning
  // (train/recalibrate.h).
  bool recalibrate_bn = false;
};

struct PruneResult {
  io::Model pruned;           // metadata gains a "prune" history entry
  prune::Selection selection;
  nlohmann::json report;      // everything above, plus the keep-sets so the prune can be replayed
};

// calibration: the data a data-driven method reads (null for data-free runs); test: evaluated
// before and after when given. Throws Error before any work for an unknown method, an infeasible
// budget, a method (or reweighting) that needs data without calibration data, or NaN/Inf weights
// (naming the node).
// verification: labelled samples for methods whose verification_samples() > 0, else unused.
PruneResult prune_model(const io::Model& model, const data::Dataset* calibration, const data::Dataset* test,
                        const PruneOptions& options, util::EventSink& sink,
                        const data::Dataset* verification = nullptr);

}  // namespace mipp::pipeline
