#include "bench/latency_record.h"

#include "mipp/report/latency.h"

namespace mipp::bench {

nlohmann::json latency_record(const graph::Network& net, const LatencyConfig& latency) {
  nlohmann::json out = nlohmann::json::array();
  if (!latency.enabled) return out;
  for (int64_t batch : latency.batches) {
    report::LatencyOptions o;
    o.batch = batch;
    o.warmup = latency.warmup;
    o.repeats = latency.repeats;
    out.push_back(report::measure_latency(net, o));
  }
  return out;
}

}  // namespace mipp::bench
