// Correlated Gaussian samples with a known covariance and analytic MI, for the estimator tests.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "mipp/info/estimator.h"
#include "mipp/util/seed.h"

namespace mipp::info::testing {

inline at::Generator generator(uint64_t seed, std::string_view stage) {
  return at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(seed, stage));
}

// n samples [n, d] of N(0, t t^T): standard normal rows mapped by t [d, d].
inline at::Tensor sample_linear_map(const at::Tensor& t, int64_t n, uint64_t seed) {
  return at::randn({n, t.size(1)}, generator(seed, "samples"), at::kDouble).mm(t.t());
}

// 1/2 [log det Sx + log det Sy - log det S] for sigma split as [dx | rest].
inline double analytic_mi(const at::Tensor& sigma, int64_t dx) {
  const auto ld = [](const at::Tensor& a) { return std::get<1>(at::linalg_slogdet(a)).item<double>(); };
  return 0.5 * (ld(sigma.slice(0, 0, dx).slice(1, 0, dx)) + ld(sigma.slice(0, dx).slice(1, dx)) - ld(sigma));
}

// A linear map t [dx+dy, dx+dy] such that (x, y) = t v, v ~ N(0, I), has x = Ax u and
// y = Ay (s W u + e), with random mixings Ax, Ay and W [dy, dx] ~ N(0, 1/dx): then
// I(x; y) = 1/2 log det(I + s^2 W W^T) whatever the mixings. `strength` is s^2 * min(dx, dy), so
// the MI is ~ strength / 2 nats for small strength.
inline at::Tensor random_joint_map(int64_t dx, int64_t dy, double strength, uint64_t seed) {
  at::Generator g = generator(seed, "covariance");
  const double s = std::sqrt(strength / static_cast<double>(std::min(dx, dy)));
  const at::Tensor ax = at::randn({dx, dx}, g, at::kDouble) + 2 * at::eye(dx, at::kDouble);
  const at::Tensor ay = at::randn({dy, dy}, g, at::kDouble) + 2 * at::eye(dy, at::kDouble);
  const at::Tensor w = at::randn({dy, dx}, g, at::kDouble) / std::sqrt(static_cast<double>(dx));
  at::Tensor t = at::zeros({dx + dy, dx + dy}, at::kDouble);
  t.slice(0, 0, dx).slice(1, 0, dx).copy_(ax);
  t.slice(0, dx).slice(1, 0, dx).copy_(ay.mm(s * w));
  t.slice(0, dx).slice(1, dx).copy_(ay);
  return t;
}

// Gaussian chain X -> Z -> Y (I(X; Y | Z) = 0) or collider X -> Z <- Y (I(X; Y | Z) > 0), each
// variable `d`-dimensional, n samples.
struct Triple {
  at::Tensor x, y, z;
};
inline Triple chain(int64_t n, int64_t d, uint64_t seed) {
  at::Generator g = generator(seed, "chain");
  const at::Tensor x = at::randn({n, d}, g, at::kDouble);
  const at::Tensor z = x + at::randn({n, d}, g, at::kDouble);
  const at::Tensor y = z + at::randn({n, d}, g, at::kDouble);
  return {x, y, z};
}
inline Triple collider(int64_t n, int64_t d, uint64_t seed) {
  at::Generator g = generator(seed, "collider");
  const at::Tensor x = at::randn({n, d}, g, at::kDouble);
  const at::Tensor y = at::randn({n, d}, g, at::kDouble);
  const at::Tensor z = x + y + at::randn({n, d}, g, at::kDouble);
  return {x, y, z};
}
inline Triple independent(int64_t n, int64_t dx, int64_t dy, int64_t dz, uint64_t seed) {
  at::Generator g = generator(seed, "independent");
  const at::Tensor z = at::randn({n, dz}, g, at::kDouble);
  // x and y both depend on z, but not on each other given z.
  const at::Tensor x = at::randn({n, dx}, g, at::kDouble) + z.sum(1, true);
  const at::Tensor y = at::randn({n, dy}, g, at::kDouble) - z.sum(1, true);
  return {x, y, z};
}

// How often `e` declares I(x; y | z) > 0 at `confidence` over `trials` seeded draws of `make`.
template <typename Make>
int count_significant(Estimator& e, int trials, double confidence, Make make) {
  int significant = 0;
  for (int t = 0; t < trials; ++t) {
    const Triple s = make(static_cast<uint64_t>(t));
    significant += e.test_positive_cmi(s.x, s.y, s.z, confidence).significant;
  }
  return significant;
}

// Correlated Gaussians with x [dx] and y [dy] columns; strength ~ 2 MI (see random_joint_map).
struct MiCase {
  int64_t dx, dy, n;
  double strength;
};

// Checks e's MI against the analytic value on each case with seeds 1..3, within `tolerance` nats,
// and returns the worst absolute error (printed per case, for the record).
inline double expect_analytic_mi(Estimator& e, const std::vector<MiCase>& cases, double tolerance) {
  double worst = 0;
  for (const MiCase& c : cases) {
    for (uint64_t seed : {1, 2, 3}) {
      const at::Tensor t = random_joint_map(c.dx, c.dy, c.strength, seed);
      const double truth = analytic_mi(t.mm(t.t()), c.dx);
      const at::Tensor xy = sample_linear_map(t, c.n, seed);
      const Estimate est = e.mutual_information(xy.slice(1, 0, c.dx), xy.slice(1, c.dx));
      const double error = est.value - truth;
      worst = std::max(worst, std::fabs(error));
      std::printf("%s dx=%lld dy=%lld n=%lld seed=%llu: MI %.4f, estimate %.4f +- %.4f, error %+.4f\n",
                  std::string(e.name()).c_str(), static_cast<long long>(c.dx), static_cast<long long>(c.dy),
                  static_cast<long long>(c.n), static_cast<unsigned long long>(seed), truth, est.value, est.std_error,
                  error);
      EXPECT_NEAR(est.value, truth, tolerance) << e.name() << " dx " << c.dx << " dy " << c.dy << " seed " << seed;
      EXPECT_EQ(est.samples, c.n);
    }
  }
  std::printf("%s: worst |error| %.4f nats\n", std::string(e.name()).c_str(), worst);
  return worst;
}

}  // namespace mipp::info::testing
