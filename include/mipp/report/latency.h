// Measured latency of a network's eval-mode forward pass: warm-up runs, then timed repetitions
// reported as median and spread, with the thread count in effect. Wall-clock on a shared machine is
// noisy; compare two networks in one run (measure_latency on both, interleaved by the caller).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/graph/network.h"

namespace mipp::report {

struct LatencyOptions {
  int64_t batch = 1;     // samples per forward, >= 1
  int warmup = 5;        // untimed runs first (allocator and cache warm-up), >= 0
  int repeats = 30;      // timed runs, >= 1
  // Time the inference form (graph/fold.h: batch-norms folded into the layers before them), as a
  // deployed model runs; false times the network as it is.
  bool fold_batch_norms = true;
  // Memory layout of image activations and conv weights: "contiguous" (NCHW, LibTorch's default),
  // "channels-last" (NHWC, oneDNN's native layout: no conversion before and after every conv, work
  // that shrinks with the channel count while MACs shrink with its square), or "auto": time both
  // after the warm-up and keep the faster, as a deployment would (which one wins depends on the
  // model and the batch size; docs/PERFORMANCE.md). Networks without a conv are timed contiguous.
  std::string layout = "auto";
};

struct Latency {
  int64_t batch = 0;
  int threads = 0;       // LibTorch intra-op threads in effect
  double median_ms = 0;
  double p10_ms = 0;     // 10th and 90th percentiles of the timed runs
  double p90_ms = 0;
  std::string layout;    // the layout timed: "contiguous" or "channels-last"
};

// Random inputs of the network's input shape (values do not change the timing of dense layers).
Latency measure_latency(const graph::Network& net, const LatencyOptions& options);

void to_json(nlohmann::json& j, const Latency& l);

}  // namespace mipp::report
