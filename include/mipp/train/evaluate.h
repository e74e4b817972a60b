// Evaluation of a classifier on a labelled dataset: top-1, top-5, mean loss, confusion counts.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mipp/data/dataset.h"
#include "mipp/graph/network.h"
#include "mipp/util/events.h"

namespace mipp::train {

struct EvalResult {
  int64_t samples = 0;
  double top1 = 0;   // fraction correct, in [0, 1]
  double top5 = 0;   // fraction with the label among the 5 highest outputs (all outputs when fewer)
  double loss = 0;   // mean cross-entropy (no label smoothing)
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class] counts
};

// Eval mode (batch-norm running statistics, no dropout), no gradients. Throws Error naming the
// shapes when the dataset does not fit the network. batch_size affects speed only. In a
// data-parallel run every rank evaluates its share of `d` and all receive the totals (so every rank
// must call it). Progress goes to `sink` (one step a batch); a false progress() stops it with
// Error(kCancelled).
EvalResult evaluate(const graph::Network& net, const data::Dataset& d, int64_t batch_size = 1000,
                    util::EventSink& sink = util::null_sink());

void to_json(nlohmann::json& j, const EvalResult& r);

}  // namespace mipp::train
