#include "bench/latency_record.h"

#include <fstream>
#include <optional>

#include "mipp/dist/process_group.h"
#include "mipp/report/latency.h"

namespace mipp::bench {

namespace {

std::optional<double> load_average() {
  std::ifstream in("/proc/loadavg");
  double one_minute = 0;
  if (in >> one_minute) return one_minute;
  return std::nullopt;
}

}  // namespace

nlohmann::json latency_record(const graph::Network& net, const LatencyConfig& latency) {
  nlohmann::json out = nlohmann::json::array();
  if (!latency.enabled) return out;
  // Data-parallel: rank 0 measures while the others wait, so no rank's work slows its clock.
  if (!dist::is_main()) {
    dist::barrier();
    return out;
  }
  for (int64_t batch : latency.batches) {
    report::LatencyOptions o;
    o.batch = batch;
    o.warmup = latency.warmup;
    o.repeats = latency.repeats;
    const std::optional<double> load = load_average();
    out.push_back(report::measure_latency(net, o));
    if (load) out.back()["load_average"] = *load;
  }
  dist::barrier();
  return out;
}

}  // namespace mipp::bench
