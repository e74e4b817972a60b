// Datasets: inputs as one float tensor held in memory, or streamed from disk a batch at a time
// (data/sample_source.h), and labels as one int64 tensor.
//
// Every reader returns a Dataset; transforms, splits and calibration subsets take and return
// Datasets, so training, evaluation and pruning methods see one shape of data. Code that walks a
// whole dataset (training, evaluation) takes its batches through inputs_at / inputs_range, which
// serve both kinds; code that needs the tensor itself (pruning methods, on calibration subsets,
// which are always in memory) reads `inputs`.
// Images are scaled to [0, 1] by the readers; normalisation is a separate, explicit transform.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mipp/data/sample_source.h"

namespace mipp::data {

struct Dataset {
  std::string name;        // "fashion-mnist", "cifar10", "synthetic-clusters", ...
  at::Tensor inputs;       // [N, C, H, W] or [N, F], float32; undefined when streamed
  at::Tensor labels;       // [N], int64 in [0, num_classes)
  int64_t num_classes = 0;
  std::shared_ptr<const StreamedInputs> streamed;  // set instead of `inputs` for data read per batch

  int64_t size() const;
  // Per-sample shape: inputs.sizes() without the first dimension.
  std::vector<int64_t> sample_shape() const;
};

// The train and test parts of a dataset as published.
struct DatasetSplits {
  Dataset train;
  Dataset test;
};

// The inputs of samples `indices` (int64 [K]) of `d`, in that order: index_select of `inputs`, or
// read from disk and transformed for a streamed dataset (on the CPU).
at::Tensor inputs_at(const Dataset& d, const at::Tensor& indices);
// The inputs of samples [start, start + n).
at::Tensor inputs_range(const Dataset& d, int64_t start, int64_t n);

// `d` with its inputs in memory: reads a streamed dataset whole (d itself otherwise). Throws
// Error(kInvalidArgument) naming the dataset when the inputs would not fit in memory.
Dataset in_memory(const Dataset& d);

// Samples `indices` [K] (int64) of `d`, in that order. A streamed dataset's subset is streamed too
// (only the row map changes).
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
// replacement (all samples, shuffled, when n >= size), always in memory. Labels kept unless
// `with_labels` is false (then `labels` is undefined), so label-free methods cannot use them by
// accident.
Dataset calibration_subset(const Dataset& d, int64_t n, uint64_t seed, bool with_labels = true);

// Throws Error naming `what` when the tensors disagree: kInvalidArgument for sizes and dtypes,
// kCorruption for labels out of range, kNumerical for NaN or infinite inputs. Undefined labels
// (a label-free calibration subset) pass. A streamed dataset's inputs are checked for shape only
// (reading them all would cost a pass over the files).
void validate(const Dataset& d, const std::string& what);

}  // namespace mipp::data
