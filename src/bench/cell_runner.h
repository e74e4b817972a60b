// One cell of a bench: prune (with the method, or as a control of its cell), fine-tune or train,
// evaluate, measure; returns the cell's record (bench/results.h lists its fields).
#pragma once

#include <nlohmann/json.hpp>

#include "bench/dense_cache.h"
#include "mipp/bench/cells.h"
#include "mipp/bench/config.h"
#include "mipp/util/record_log.h"
#include "mipp/pipeline/prepare_data.h"
#include "mipp/util/events.h"

namespace mipp::bench {

struct CellContext {
  const BenchConfig& config;
  const pipeline::PreparedData& data;   // fitted to the cell's model
  DenseCache& dense;
  const util::RecordLog& store;            // controls read their method cell's keep-sets here
  util::EventSink& sink;
};

// Throws whatever the steps throw (the caller records the failure); Error(kCancelled) when the
// sink asked to stop.
nlohmann::json run_cell(const Cell& cell, CellContext& ctx);

}  // namespace mipp::bench
