// Synthetic datasets with a seed, for fast tests and examples.
#pragma once

#include <cstdint>

#include "mipp/data/dataset.h"

namespace mipp::data {

// Gaussian clusters: class k's samples are drawn around a random centre with identity covariance
// scaled by `spread`; centres are drawn N(0, separation^2). Inputs [N, num_features].
struct ClustersOptions {
  int64_t num_samples = 1000;
  int64_t num_classes = 4;
  int64_t num_features = 8;
  double separation = 3.0;  // larger: easier problem
  double spread = 1.0;
};
Dataset gaussian_clusters(const ClustersOptions& options, uint64_t seed);

// A random teacher network labels Gaussian inputs: label = argmax(W2 relu(W1 x) + b2), a problem a
// student MLP of similar size can learn. b2 = -W2 E[relu(W1 x)] centres every logit, so the
// classes come out roughly balanced. Inputs [N, num_features] ~ N(0, I).
struct TeacherOptions {
  int64_t num_samples = 1000;
  int64_t num_classes = 4;
  int64_t num_features = 16;
  int64_t hidden = 32;
};
Dataset teacher_dataset(const TeacherOptions& options, uint64_t seed);

}  // namespace mipp::data
