// Time of the MI estimators (gaussian, linear, ksg) on I(x; y), x [n, d], y [n, 1] with
// y = sum of x's columns / sqrt(d) + noise, at n in {1k, 5k, 20k} and d in {1, 8, 64, 256}; and
// MIPP-style backward elimination with info::LinearProxy against a single fit of the same proxy.
// Results and the command line are recorded in docs/PERFORMANCE.md.
//
//   build/mipp_bench --threads=2 --benchmark_filter='estimate|linear_proxy'
//
// ksg searches neighbours by brute force above 3 joint dimensions, O(n^2 d): it is skipped where
// n^2 (d + 1) > 2e9 (about a minute per estimate here): n = 20k with d >= 8, n = 5k with d = 256.
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "mipp/info/estimator_registry.h"
#include "mipp/info/linear_proxy.h"

namespace {

using namespace mipp;

struct Data {
  at::Tensor x, y;
};

Data make_data(int64_t n, int64_t d, int64_t m = 1) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(1);
  Data data;
  data.x = at::randn({n, d}, g, at::kDouble);
  const at::Tensor w = at::randn({d, m}, g, at::kDouble) / std::sqrt(static_cast<double>(d));
  data.y = data.x.mm(w) + at::randn({n, m}, g, at::kDouble);
  return data;
}

void estimate(benchmark::State& state, const std::string& estimator) {
  const int64_t n = state.range(0), d = state.range(1);
  const Data data = make_data(n, d);
  const auto e = info::make_estimator(estimator, nlohmann::json::object());
  for (auto _ : state) {
    double value = e->mutual_information(data.x, data.y).value;
    benchmark::DoNotOptimize(value);
  }
  state.counters["threads"] = at::get_num_threads();
}

void estimator_args(benchmark::internal::Benchmark* b, bool ksg) {
  for (int64_t n : {1000, 5000, 20000}) {
    for (int64_t d : {1, 8, 64, 256}) {
      if (ksg && static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(d + 1) > 2e9) continue;
      b->Args({n, d});
    }
  }
  b->ArgNames({"n", "d"})->Unit(benchmark::kMillisecond);
}

// Greedy backward elimination on one layer with the linear proxy: while more than one input is
// active, compute loss_without for every active input (one vectorised call) and remove the
// cheapest.
constexpr int64_t kProxyInputs = 256;
constexpr int64_t kProxyTargets = 16;
constexpr double kProxyRidge = 1e-3;

void proxy_fit(benchmark::State& state) {
  const Data data = make_data(state.range(0), kProxyInputs, kProxyTargets);
  for (auto _ : state) {
    info::LinearProxy p(data.x, data.y, kProxyRidge);
    benchmark::DoNotOptimize(p.loss());
  }
  state.counters["threads"] = at::get_num_threads();
}

void proxy_eliminate(benchmark::State& state) {
  const Data data = make_data(state.range(0), kProxyInputs, kProxyTargets);
  int64_t evaluations = 0;
  for (auto _ : state) {
    state.PauseTiming();
    info::LinearProxy p(data.x, data.y, kProxyRidge);  // the fit is timed by proxy_fit
    state.ResumeTiming();
    while (p.active().size() > 1) {
      int64_t best = -1;
      double best_loss = std::numeric_limits<double>::infinity();
      const std::vector<double> losses = p.losses_without();
      for (size_t j = 0; j < losses.size(); ++j) {
        ++evaluations;
        if (losses[j] < best_loss) {
          best_loss = losses[j];
          best = p.active()[j];
        }
      }
      p.remove(best);
    }
    benchmark::DoNotOptimize(p.loss());
  }
  state.counters["loss_without_calls"] =
      benchmark::Counter(static_cast<double>(evaluations), benchmark::Counter::kAvgIterations);
  state.counters["threads"] = at::get_num_threads();
}

BENCHMARK_CAPTURE(estimate, gaussian, std::string("gaussian"))->Apply([](auto* b) { estimator_args(b, false); });
BENCHMARK_CAPTURE(estimate, linear, std::string("linear"))->Apply([](auto* b) { estimator_args(b, false); });
BENCHMARK_CAPTURE(estimate, ksg, std::string("ksg"))->Apply([](auto* b) { estimator_args(b, true); });
BENCHMARK(proxy_fit)->Name("linear_proxy/fit/d:256/m:16")->Arg(5000)->Arg(20000)->ArgName("n")->Unit(benchmark::kMillisecond);
BENCHMARK(proxy_eliminate)
    ->Name("linear_proxy/eliminate_all_but_one/d:256/m:16")
    ->Arg(5000)
    ->Arg(20000)
    ->ArgName("n")
    ->Unit(benchmark::kMillisecond);

}  // namespace
