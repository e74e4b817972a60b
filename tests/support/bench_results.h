// What of a bench's results must repeat exactly between runs: for tests that resume a bench.
#pragma once

#include <nlohmann/json.hpp>

namespace mipp::testing {

// A cell of results.json without its wall-clock times and latencies, and without the index of the
// run that made it (a resumed bench's cells come from a later run).
inline nlohmann::json deterministic_cell(nlohmann::json cell) {
  for (const char* k : {"latency", "prune_seconds", "train_seconds", "cell_seconds"}) cell.erase(k);
  if (cell.contains("ran_with")) cell["ran_with"].erase("run");
  if (cell.contains("method_details")) cell["method_details"].erase("seconds");
  return cell;
}

}  // namespace mipp::testing
