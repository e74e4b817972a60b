#include "mipp/report/latency.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/randn.h>

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "mipp/graph/fold.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/forward.h"
#include "mipp/util/memory.h"
#include "mipp/util/error.h"

namespace mipp::report {

namespace {

double percentile(std::vector<double> sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Milliseconds of each of `runs` forward passes.
std::vector<double> time_forward(const graph::Network& net, const at::Tensor& x, int runs) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor y = graph::forward(net, x).output;
    // The result is really computed before the clock stops: item() copies it to the host, which
    // waits for the device's queued work too.
    (void)y.sum().item<float>();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return ms;
}

struct Candidate {
  std::string layout;
  graph::Network net;
  at::Tensor x;
};

}  // namespace

Latency measure_latency(const graph::Network& given, const LatencyOptions& options) {
  MIPP_CHECK(options.batch >= 1 && options.warmup >= 0 && options.repeats >= 1, kInvalidArgument,
             "latency: batch {}, warm-up {}, repeats {}: need batch >= 1, warm-up >= 0, repeats >= 1", options.batch,
             options.warmup, options.repeats);
  MIPP_CHECK(options.layout == "auto" || options.layout == "contiguous" || options.layout == "channels-last",
             kInvalidArgument, "latency: layout '{}': expected auto, contiguous or channels-last", options.layout);
  if (given.device().is_cpu()) {  // (a GPU's own allocator reports its limit clearly)
    util::check_memory(graph::forward_memory_bytes(given, options.batch), fmt::format("latency at batch {}", options.batch),
                       "use a smaller --batch");
  }
  const graph::Network net = options.fold_batch_norms ? graph::fold_batch_norms(given) : given;
  std::vector<int64_t> shape = {options.batch};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  // Drawn on the CPU, placed on the network's device once, so no timed run copies its input.
  const at::Tensor x = at::randn(shape).to(net.device());
  std::vector<Candidate> candidates;
  bool has_conv = false;  // the layouts differ only for convolutions
  for (const graph::Node& n : net.nodes()) has_conv = has_conv || n.is<graph::Conv2dOp>();
  if (!has_conv || options.layout != "channels-last") candidates.push_back({"contiguous", net, x});
  if (has_conv && options.layout != "contiguous") {
    candidates.push_back(
        {"channels-last", graph::with_channels_last_weights(net), x.contiguous(at::MemoryFormat::ChannelsLast)});
  }
  at::NoGradGuard no_grad;
  for (const Candidate& c : candidates) time_forward(c.net, c.x, options.warmup);
  size_t chosen = 0;
  if (candidates.size() > 1) {  // the faster layout by the median of probe runs, interleaved against drift
    constexpr int kProbes = 5;
    std::vector<std::vector<double>> probe_ms(candidates.size());
    for (int i = 0; i < kProbes; ++i) {
      for (size_t c = 0; c < candidates.size(); ++c) {
        probe_ms[c].push_back(time_forward(candidates[c].net, candidates[c].x, 1)[0]);
      }
    }
    std::vector<double> medians;
    for (std::vector<double>& ms : probe_ms) {
      std::sort(ms.begin(), ms.end());
      medians.push_back(percentile(ms, 0.5));
    }
    chosen = static_cast<size_t>(std::min_element(medians.begin(), medians.end()) - medians.begin());
  }
  std::vector<double> ms = time_forward(candidates[chosen].net, candidates[chosen].x, options.repeats);
  std::sort(ms.begin(), ms.end());
  Latency l;
  l.batch = options.batch;
  l.threads = at::get_num_threads();
  l.median_ms = percentile(ms, 0.5);
  l.p10_ms = percentile(ms, 0.1);
  l.p90_ms = percentile(ms, 0.9);
  l.layout = candidates[chosen].layout;
  return l;
}

void to_json(nlohmann::json& j, const Latency& l) {
  j = {{"batch", l.batch}, {"threads", l.threads}, {"median_ms", l.median_ms}, {"p10_ms", l.p10_ms},
       {"p90_ms", l.p90_ms}, {"layout", l.layout}};
}

}  // namespace mipp::report
