// Datasets held in memory: inputs as one float tensor, labels as one int64 tensor.
//
// Every reader returns a Dataset; transforms, splits and calibration subsets take and return
// Datasets, so training, evaluation and pruning methods see one shape of data.
// Images are scaled to [0, 1] by the readers; normalisation is a separate, explicit transform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::data {

struct Dataset {
  std::string name;        // "fashion-mnist", "cifar10", "synthetic-clusters", ...
  at::Tensor inputs;       // [N, C, H, W] or [N, F], float32
  at::Tensor labels;       // [N], int64 in [0, num_classes)
  int64_t num_classes = 0;

  int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
  // Per-sample shape: inputs.sizes() without the first dimension.
  std::vector<int64_t> sample_shape() const;
};

// The train and test parts of a dataset as published.
struct DatasetSplits {
  Dataset train;
  Dataset test;
};

// Samples `indices` [K] (int64) of `d`, in that order.
Dataset subset(const Dataset& d, const at::Tensor& indices);

// The first `n` samples (all when n >= size): for quick runs on part of a dataset.
Dataset head(const Dataset& d, int64_t n);

// Splits off a held-out part: a seeded permutation puts round(fraction * N) samples in `second`,
// the rest in `first`; both keep the original sample order. REQUIRES: 0 <= fraction < 1.
struct Split {
  Dataset first;
  Dataset second;
};
Split split(const Dataset& d, double fraction, uint64_t seed);

// A fixed calibration subset for pruning methods: `n` samples chosen by `seed` without
// replacement (all samples, shuffled, when n >= size). Labels kept unless `with_labels` is false
// (then `labels` is undefined), so label-free methods cannot use them by accident.
Dataset calibration_subset(const Dataset& d, int64_t n, uint64_t seed, bool with_labels = true);

// Throws Error naming `what` when the tensors disagree: kInvalidArgument for sizes and dtypes,
// kCorruption for labels out of range, kNumerical for NaN or infinite inputs. Undefined labels
// (a label-free calibration subset) pass.
void validate(const Dataset& d, const std::string& what);

}  // namespace mipp::data
