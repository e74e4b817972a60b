// Data for a model: load a dataset by name, fit it to the model's input shape, normalise it, and
// split off a validation part. Shared by `mipp train`, `mipp eval` and the demo so that evaluation
// always applies what training applied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mipp/data/dataset.h"
#include "mipp/data/transforms.h"
#include "mipp/graph/network.h"

namespace mipp::pipeline {

struct DataOptions {
  std::string dataset = "fashion-mnist";  // a data::dataset_names() entry
  std::string dir;                        // "" = the dataset's default location (if it has one)
  double val_split = 0;                   // fraction of the training set held out, in [0, 1)
  int64_t train_limit = 0;                // use only the first N training samples; 0 = all
  int64_t test_limit = 0;                 // use only the first N test samples; 0 = all
  bool test_only = false;                 // read only the test files (evaluation); train stays empty
  uint64_t seed = 0;                      // decides the validation split
  // image-folder: the H, W every image is resized to; empty = the model's input size. The channel
  // count (1 grey, 3 RGB) follows the model's input.
  std::vector<int64_t> image_size;
};

struct PreparedData {
  data::Dataset train;
  data::Dataset val;   // empty (size 0) without --val-split
  data::Dataset test;
  data::Normalization normalization;  // what was applied; stored in the model's metadata
};

// `normalization`: the model's own (from its metadata) when it has one; otherwise the dataset's
// standard statistics, or statistics computed on the training part for unknown datasets.
// Throws Error naming the dataset and shapes when the data cannot fit the model. A streamed image
// folder stays streamed: the fit and the normalisation then happen per batch.
PreparedData prepare_data(const DataOptions& options, const graph::Shape& model_input_shape,
                          const data::Normalization& normalization);

}  // namespace mipp::pipeline
