// The latency part of a bench record: report::measure_latency at each configured batch size.
#pragma once

#include <nlohmann/json.hpp>

#include "mipp/bench/config.h"
#include "mipp/graph/network.h"

namespace mipp::bench {

// [{batch, threads, median_ms, p10_ms, p90_ms, load_average}, ...]; an empty array when latency is
// disabled. load_average is the machine's 1-minute load average (/proc/loadavg) just before the
// measurement, absent where the file is not readable: on a 2-core machine a load above the
// thread count means another process competed, and 2-thread timings then jump by scheduler ticks
// (see docs/PERFORMANCE.md).
nlohmann::json latency_record(const graph::Network& net, const LatencyConfig& latency);

}  // namespace mipp::bench
