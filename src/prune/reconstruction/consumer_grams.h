// What the reconstruction methods (submodular, thinet, --reweight) know about a layer that reads a
// group's units: second moments of its input, as Gram matrices over the calibration set.
//
// A consumer (conv or linear node) computes T = X W^T + b from its input X. For a conv, X is the
// input unfolded into patches (one row per image and output position, C*kh*kw columns, channel
// major as the weight's [out, C, kh, kw] layout flattened); for a linear layer, one row per image.
// A column of ones is appended last, so the bias is one more weight row and least squares can fold
// the mean of a removed column into it.
//
// Everything these methods compute is a least-squares quantity of X, so Grams suffice: they are
// accumulated batch by batch, which bounds memory by the Gram size (D x D, D = columns + 1) instead
// of the number of rows. Two networks are read at once: B, the input in the network being pruned
// (the current, already pruned and reweighted one), and A, the input in the original network, so
// that the asymmetric objective ||B_S W~ - A W||^2 (El Halabi et al.'s AsymInChange) is available.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mipp/data/dataset.h"
#include "mipp/graph/network.h"
#include "mipp/util/events.h"

namespace mipp::prune::reconstruction {

struct GramOptions {
  // Which output positions of a conv consumer become rows: "all", "disjoint" (positions whose
  // patches do not overlap: every ceil(k/stride)-th row and column) or "random" (kh*kw positions
  // per image, drawn from `seed`).
  std::string patches = "all";
  bool float64 = true;  // accumulate in float64 (float32 halves memory and time, loses precision)
  int64_t batch_size = 128;
  uint64_t seed = 0;
};

struct ConsumerGrams {
  int node = 0;
  int64_t block = 1;   // columns per input channel: kh*kw for a conv, 1 for a linear layer
  int64_t columns = 0; // D: input columns + 1 (the ones column, last)
  int64_t rows = 0;
  at::Tensor bb;       // [D, D] B^T B, float64
  at::Tensor ba;       // [D, D] B^T A (equals bb when only one network is read)
  at::Tensor aa;       // [D, D] A^T A
  // The consumer's weights as one [m, D] matrix (bias last; zero when it has none), in `original`.
  at::Tensor weight;
  bool has_bias = true;  // without a bias the ones column cannot be used by least squares
};

// Grams of the inputs of `consumers` (conv or linear nodes, same ids in both networks, which must
// have the same architecture and be on the same device) over `calibration` (on the host). Pass the
// same network twice for A = B. The Grams and weights are on the networks' device.
// Throws Error(kNumerical) naming the node when an input is NaN or infinite.
std::vector<ConsumerGrams> consumer_grams(const graph::Network& current, const graph::Network& original,
                                          const std::vector<int>& consumers, const data::Dataset& calibration,
                                          const GramOptions& options, util::EventSink& sink);

// The consumer's weight and bias as [m, D] (bias last), float64, on the consumer's device.
at::Tensor weight_matrix(const graph::Node& consumer);

// Writes a [m, D] matrix (bias last, any device) back into the consumer's weight and bias.
// REQUIRES: the last column is zero when the node has no bias.
void set_weight_matrix(graph::Node& consumer, const at::Tensor& matrix);

}  // namespace mipp::prune::reconstruction
