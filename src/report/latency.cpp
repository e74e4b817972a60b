#include "mipp/report/latency.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "mipp/graph/fold.h"
#include "mipp/graph/forward.h"
#include "mipp/util/error.h"

namespace mipp::report {

namespace {

double percentile(std::vector<double> sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

Latency measure_latency(const graph::Network& given, const LatencyOptions& options) {
  MIPP_CHECK(options.batch >= 1 && options.warmup >= 0 && options.repeats >= 1, kInvalidArgument,
             "latency: batch {}, warm-up {}, repeats {}: need batch >= 1, warm-up >= 0, repeats >= 1", options.batch,
             options.warmup, options.repeats);
  const graph::Network net = options.fold_batch_norms ? graph::fold_batch_norms(given) : given;
  std::vector<int64_t> shape = {options.batch};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  const at::Tensor x = torch::randn(shape);
  torch::NoGradGuard no_grad;
  for (int i = 0; i < options.warmup; ++i) graph::forward(net, x);
  std::vector<double> ms;
  for (int i = 0; i < options.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor y = graph::forward(net, x).output;
    (void)y.sum().item<float>();  // the result is really computed before the clock stops
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  Latency l;
  l.batch = options.batch;
  l.threads = at::get_num_threads();
  l.median_ms = percentile(ms, 0.5);
  l.p10_ms = percentile(ms, 0.1);
  l.p90_ms = percentile(ms, 0.9);
  return l;
}

void to_json(nlohmann::json& j, const Latency& l) {
  j = {{"batch", l.batch}, {"threads", l.threads}, {"median_ms", l.median_ms}, {"p10_ms", l.p10_ms},
       {"p90_ms", l.p90_ms}};
}

}  // namespace mipp::report
