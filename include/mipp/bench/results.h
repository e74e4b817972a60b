// bench::BenchResults — what the output writers read: the configuration, the dense models' records
// and the finished cells' records, in enumeration order. Writers: results_table.h (CSV, JSON),
// summary.h (Markdown), plots.h (gnuplot).
//
// A cell record (one line of cells.jsonl) has: key, model, method, method_id, control, timing,
// sparsity, seed, status ("ok" or "failed"), error (failed only); and when ok: achieved_sparsity,
// top1_before, top1_pruned, top1_final (top5_* too when the dataset has more than 10 classes),
// loss_final, params, macs, params_dense, macs_dense, compression, speedup, latency (one
// {batch, threads, median_ms, p10_ms, p90_ms} per batch size), collapsed_layers, widths
// ([{group, before, after}]), keep (kept unit indices per group), prune_seconds, train_seconds,
// cell_seconds, method_details (the method's scalar details, e.g. mipp's estimator_fits).
// A dense record has: model, seed, top1 (top5), loss, params, macs, latency, train_seconds.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/bench/config.h"

namespace mipp::bench {

struct BenchResults {
  const BenchConfig* config = nullptr;
  std::vector<nlohmann::json> dense;   // per model and seed trained (or loaded) so far
  std::vector<nlohmann::json> cells;   // finished cells, in enumeration order
  size_t cells_total = 0;
  nlohmann::json run;                  // mipp version, commit, LibTorch version, threads, CPU
  std::string command;                 // the command that produced the results
};

}  // namespace mipp::bench
