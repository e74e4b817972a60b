// The latency part of a bench record: report::measure_latency at each configured batch size.
#pragma once

#include <nlohmann/json.hpp>

#include "mipp/bench/config.h"
#include "mipp/graph/network.h"

namespace mipp::bench {

// [{batch, threads, median_ms, p10_ms, p90_ms}, ...]; an empty array when latency is disabled.
nlohmann::json latency_record(const graph::Network& net, const LatencyConfig& latency);

}  // namespace mipp::bench
