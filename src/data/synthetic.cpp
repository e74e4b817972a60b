#include "mipp/data/synthetic.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/randperm.h>
#include <ATen/ops/relu.h>

#include <cmath>

#include "mipp/util/error.h"
#include "mipp/util/seed.h"

namespace mipp::data {

namespace {

void check_sizes(const char* what, int64_t num_samples, int64_t num_classes, int64_t num_features) {
  MIPP_CHECK(num_samples > 0, kInvalidArgument, "{}.num_samples {}: must be positive", what, num_samples);
  MIPP_CHECK(num_classes >= 2, kInvalidArgument, "{}.num_classes {}: must be at least 2", what, num_classes);
  MIPP_CHECK(num_features > 0, kInvalidArgument, "{}.num_features {}: must be positive", what, num_features);
}

}  // namespace

Dataset gaussian_clusters(const ClustersOptions& o, uint64_t seed) {
  check_sizes("ClustersOptions", o.num_samples, o.num_classes, o.num_features);
  MIPP_CHECK(o.separation >= 0, kInvalidArgument, "ClustersOptions.separation {}: must not be negative", o.separation);
  MIPP_CHECK(o.spread > 0, kInvalidArgument, "ClustersOptions.spread {}: must be positive", o.spread);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(seed, "gaussian-clusters"));
  const at::Tensor centres = at::randn({o.num_classes, o.num_features}, gen) * o.separation;  // [K, F]
  // Classes as balanced as N allows (counts differ by at most one), in a seeded order.
  const at::Tensor balanced = at::arange(o.num_samples, at::kLong).remainder(o.num_classes);
  Dataset d;
  d.name = "synthetic-clusters";
  d.num_classes = o.num_classes;
  d.labels = balanced.index_select(0, at::randperm(o.num_samples, gen, at::kLong));  // [N]
  d.inputs = centres.index_select(0, d.labels) + at::randn({o.num_samples, o.num_features}, gen) * o.spread;
  return d;
}

Dataset teacher_dataset(const TeacherOptions& o, uint64_t seed) {
  check_sizes("TeacherOptions", o.num_samples, o.num_classes, o.num_features);
  MIPP_CHECK(o.hidden > 0, kInvalidArgument, "TeacherOptions.hidden {}: must be positive", o.hidden);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(seed, "teacher"));
  // Weights scaled by 1/sqrt(fan_in) keep every pre-activation of unit variance on average.
  const at::Tensor w1 = at::randn({o.hidden, o.num_features}, gen) / std::sqrt(double(o.num_features));
  const at::Tensor w2 = at::randn({o.num_classes, o.hidden}, gen) / std::sqrt(double(o.hidden));
  // For x ~ N(0, I), (W1 x)_j ~ N(0, |W1_j|^2), so E[relu((W1 x)_j)] = |W1_j| / sqrt(2 pi). Without
  // the bias b2 = -W2 E[relu(W1 x)] the class whose W2 row sums highest would take most samples.
  const at::Tensor hidden_mean = w1.norm(2, 1) / std::sqrt(2 * M_PI);  // [hidden]
  const at::Tensor b2 = -at::matmul(w2, hidden_mean);               // [K]
  Dataset d;
  d.name = "synthetic-teacher";
  d.num_classes = o.num_classes;
  d.inputs = at::randn({o.num_samples, o.num_features}, gen);                       // [N, F]
  const at::Tensor logits = at::relu(d.inputs.matmul(w1.t())).matmul(w2.t()) + b2;  // [N, K]
  d.labels = logits.argmax(1);
  return d;
}

}  // namespace mipp::data
