// The neighbour statistics behind the ksg estimator, by brute force or with k-d trees.
//
// Given blocks B_0..B_{m-1} of columns ([n, d_b] float64 each; for CMI: x, y, z) the joint space is
// all blocks together and a marginal space is a subset of them; distances are max-norms. For each
// sample i:
//   eps_i      = the k-th smallest joint distance from i to the other samples (repeats counted);
//   count_s[i] = #{j != i : dist_s(i, j) < eps_i} in marginal space s, or #{j != i : dist_s = 0}
//                when eps_i = 0 (see include/mipp/info/ksg.h, "Ties").
// Both searches compare the same float64 values and return identical counts.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::info {

enum class NeighborSearch { kBrute, kTree };

// A marginal space: indices into `blocks`.
using BlockSet = std::vector<int>;

// Returns counts[s][i] for each marginal space s in `marginals`. REQUIRES: 1 <= k < n; blocks
// contiguous float64 CPU with n rows. `tile_bytes` bounds the brute-force distance tiles.
std::vector<std::vector<int64_t>> neighbor_counts(const std::vector<at::Tensor>& blocks,
                                                  const std::vector<BlockSet>& marginals, int64_t k,
                                                  NeighborSearch search, int64_t tile_bytes);

// Indices [n, m] of each row's m nearest rows of `points` [n, d] in max-norm (itself included),
// nearest first; ties are broken deterministically (same input, same result). Brute force, tiled by `tile_bytes`. REQUIRES: 1 <= m <= n.
at::Tensor nearest_indices(const at::Tensor& points, int64_t m, int64_t tile_bytes);

}  // namespace mipp::info
