// Tiny hand-checkable networks for tests.
#pragma once

#include <ATen/core/Generator.h>

#include "mipp/data/dataset.h"
#include "mipp/graph/network.h"

namespace mipp::testing {

// Every op kind once, with a residual add and a concat:
//   input [3,8,8] -> conv a (4, 3x3 pad 1) -> bn -> relu ----------+-> add -> concat(with conv c) ->
//                   conv b (4, 3x3 pad 1, groups 2) -> leaky_relu -+
//   -> max_pool -> avg_pool -> gelu -> sigmoid -> tanh -> dropout -> identity -> adaptive pool 1x1
//   -> flatten -> linear 5 -> bn1d -> linear 3
// Weights drawn from `seed`, batch-norm statistics non-trivial.
graph::Network all_ops_network(uint64_t seed = 0);

// Draws non-trivial batch-norm weights, shifts and running statistics for every batch-norm node,
// so that tests see every term of the formula (and a removed channel's shift, if it leaked).
void randomize_batch_norms(graph::Network& net, at::Generator& gen);

// A copy of `net` with every tensor in float64, for finite-difference checks.
graph::Network to_float64(const graph::Network& net);

// conv 3->4 (3x3, pad 1) -> batch-norm (random statistics) -> relu -> flatten -> linear 3, on
// [3, 4, 4] inputs, in float64: the small net of the gradient-based method tests.
graph::Network conv_bn_net(uint64_t seed);

// input [2] -> linear 3 -> relu -> linear 2, with integer weights for hand computation.
graph::Network two_layer_mlp();

// `n` standard-normal float64 samples of `net`'s input shape with labels uniform in [0, classes),
// drawn from `seed`: calibration data for the gradient-based method tests.
data::Dataset random_calibration(const graph::Network& net, int64_t n, int64_t classes, uint64_t seed);

}  // namespace mipp::testing
