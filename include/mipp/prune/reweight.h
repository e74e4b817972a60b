// Least-squares reweighting (El Halabi et al. 2022), for any method's keep-sets: after units are
// chosen, each layer that read a removed unit gets new weights on the units that stay, those that
// best reproduce what it computed in the original network on the calibration set:
//   W~ = argmin ||B_S W~ - A W||^2,
// B_S the kept part of its input in the pruned network (earlier layers already pruned and
// reweighted), A its input in the original network, W its original weights and bias. The bias
// absorbs the mean of what was removed. This is the asymmetric variant by default; see
// src/prune/reconstruction/sequential.h for the others.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "mipp/data/dataset.h"
#include "mipp/graph/analyze.h"
#include "mipp/graph/network.h"
#include "mipp/graph/slice.h"
#include "mipp/util/events.h"

namespace mipp::prune {

struct ReweightOptions {
  std::string variant = "asym";   // layer, seq or asym
  std::string patches = "all";    // conv positions fitted: all, disjoint or random
  bool float64 = true;            // Gram accumulation precision
  int64_t batch_size = 128;
};

struct Reweighted {
  graph::Network network;  // `net` with the new weights, removed units' input columns zero
  // Per group: per consumer, the relative error of the consumer's output on calibration data after
  // plain removal ("error_removed") and after reweighting ("error_updated").
  nlohmann::json layers;
};

// REQUIRES: analysis == analyze(net). Slice the result with the same keep-sets.
// Throws Error(kInvalidArgument) for a bad option, Error(kNumerical) naming the layer for NaN/Inf.
Reweighted reweight(const graph::Network& net, const graph::Analysis& analysis, const graph::KeepSets& keep,
                    const data::Dataset& calibration, const ReweightOptions& options, uint64_t seed,
                    util::EventSink& sink);

}  // namespace mipp::prune
