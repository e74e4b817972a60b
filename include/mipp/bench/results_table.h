// The bench's machine-readable outputs: results.csv (one row per cell, scalar fields only, widths
// as "6/16/69/22") and results.json (run information, dense records and every cell record).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/bench/results.h"

namespace mipp::bench {

std::string results_csv(const BenchResults& r);
nlohmann::json results_json(const BenchResults& r);

}  // namespace mipp::bench
