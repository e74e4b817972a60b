// Transforms on whole datasets (applied once to inputs in memory; to each batch as it is read for a
// streamed dataset) and on training batches (augmentation).
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Generator.h>

#include "mipp/data/dataset.h"

namespace mipp::data {

// Per-channel input normalisation x' = (x - mean[c]) / std[c]; one entry per channel (or per
// feature for [N, F] data), or a single entry for all of them, so a grey dataset's statistics
// still apply after fit_to_shape replicated or flattened its images.
// Stored in model metadata so evaluation applies what training applied.
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;

  bool empty() const { return mean.empty(); }
};

// The customary statistics of a known dataset ("mnist", "fashion-mnist", "cifar10", "cifar100")
// on [0, 1]-scaled inputs; empty for other names.
Normalization standard_normalization(const std::string& dataset_name);

// Per-channel mean and std of `d`'s inputs (dimension 1); of at most 8192 samples spread evenly
// over a streamed dataset.
Normalization compute_normalization(const Dataset& d);

// Returns d with normalised inputs (d itself for an empty Normalization). Throws
// Error(kInvalidArgument) when the entry count is neither 1 nor the channel count, or a std is not
// positive.
Dataset normalize(const Dataset& d, const Normalization& n);

// Adapts inputs to a model's per-sample input shape:
//   same shape            -> unchanged
//   [C, H, W] -> [C*H*W]  -> flattened (MLPs)
//   smaller H, W          -> zero-padded symmetrically (28x28 -> 32x32)
//   1 channel -> C        -> replicated (grey images for RGB models)
// Anything else throws Error(kInvalidArgument) naming both shapes. Padding writes 0, black on the
// readers' [0, 1] images, so the pipeline fits first and normalises after.
Dataset fit_to_shape(const Dataset& d, const std::vector<int64_t>& sample_shape);

// CIFAR augmentation on a batch [N, C, H, W]: random crop with `padding` pixels of zero padding
// (4 in the usual CIFAR recipe), then a horizontal flip with probability 1/2, per sample, drawn
// from `gen`. REQUIRES: `gen` is a CPU generator; the batch may live on any device and gets the
// same crops for the same generator state.
at::Tensor random_crop_flip(const at::Tensor& batch, at::Generator& gen, int64_t padding = 4);

}  // namespace mipp::data
