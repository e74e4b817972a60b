// Timing of the mlp elimination at the size of a LeNet-5 layer (fc1 -> fc2: 120 units, 84
// targets, 2048 calibration samples), the cost that MIPP's "paper mode" repeats per unit.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "info/gaussian_samples.h"
#include "mipp/info/elimination.h"

namespace mipp::info {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST(MlpEliminationTiming, LeNetFc1Size) {
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  using testing::generator;
  at::Generator g = generator(1, "timing");
  const int64_t n = 2048, d = 120, m = 84;
  // ReLU activations of a random layer and a random layer on top of them.
  const at::Tensor x = at::randn({n, d}, g, at::kFloat).mm(at::randn({d, d}, g, at::kFloat)).relu();
  const at::Tensor y = x.mm(at::randn({d, m}, g, at::kFloat) / 10).relu() + 0.1 * at::randn({n, m}, g, at::kFloat);
  EliminationProblem p{x, y, {}, 1};
  for (int64_t u = 0; u < d; ++u) p.units.push_back({u});

  auto start = std::chrono::steady_clock::now();
  const auto e = make_elimination("mlp", nlohmann::json::object(), p);
  const double fit_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const UnitTest t = e->test(0);
  const double refit_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const std::vector<double> info = e->unit_information();
  const double units_s = seconds_since(start);
  std::printf("mlp elimination n=%lld d=%lld m=%lld, R=5, 2 threads: reference fit %.2f s (5 models), "
              "one test %.2f s (5 refits), unit_information %.2f s (%lld unit models); test(0) t = %.2f\n",
              static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(m), fit_s, refit_s,
              units_s, static_cast<long long>(d * 5), t.statistic);
  EXPECT_EQ(info.size(), static_cast<size_t>(d));
  at::set_num_threads(threads);
}

}  // namespace mipp::info
