#include "info/neighbor_counts.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/Parallel.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/cdist.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/maximum.h>


#include <algorithm>
#include <cfloat>
#include <cmath>
#include <memory>

#include "info/kd_tree.h"

namespace mipp::info {

namespace {

// The radius below which counts use "closer than": eps_i itself, or, when eps_i = 0, the smallest
// normal double, so that "< DBL_MIN" means "at distance 0" (no subnormals: they may be flushed).
double count_radius(double eps) { return std::max(eps, DBL_MIN); }

at::Tensor columns_of(const std::vector<at::Tensor>& blocks, const BlockSet& set) {
  std::vector<at::Tensor> parts;
  for (int b : set) parts.push_back(blocks[static_cast<size_t>(b)]);
  return at::cat(parts, 1).contiguous();
}

// Max-norm distances [t, n] between rows: max_c |q_c - p_c|, exact float64 values.
at::Tensor max_norm_distances(const at::Tensor& queries, const at::Tensor& points) {
  return at::cdist(queries, points, /*p=*/INFINITY);
}

// Rows per tile so that `tensors` distance tiles of n doubles fit in `tile_bytes`.
int64_t tile_rows(int64_t n, int64_t tensors, int64_t tile_bytes) {
  const int64_t per_row = n * static_cast<int64_t>(sizeof(double)) * tensors;
  return std::clamp<int64_t>(tile_bytes / std::max<int64_t>(per_row, 1), 1, n);
}

std::vector<std::vector<int64_t>> brute_counts(const std::vector<at::Tensor>& blocks,
                                               const std::vector<BlockSet>& marginals, int64_t k,
                                               int64_t tile_bytes) {
  const int64_t n = blocks.front().size(0);
  std::vector<std::vector<int64_t>> counts(marginals.size(), std::vector<int64_t>(static_cast<size_t>(n)));
  // Live tiles: one per block, the joint maximum, one marginal combination and its comparison.
  const int64_t tile = tile_rows(n, static_cast<int64_t>(blocks.size()) + 3, tile_bytes);
  for (int64_t r0 = 0; r0 < n; r0 += tile) {
    const int64_t r1 = std::min(n, r0 + tile);
    std::vector<at::Tensor> dist;  // per block [t, n]
    for (const at::Tensor& b : blocks) dist.push_back(max_norm_distances(b.slice(0, r0, r1), b));
    at::Tensor joint = dist[0];
    for (size_t b = 1; b < dist.size(); ++b) joint = at::maximum(joint, dist[b]);
    // The (k+1)-th smallest joint distance including the row itself (0, the minimum) is the
    // k-th smallest to the other rows, repeats counted.
    // topk rather than kthvalue: the same value, several times faster for small k.
    const at::Tensor radius = std::get<0>(joint.topk(k + 1, 1, /*largest=*/false, /*sorted=*/true))
                                  .select(1, k)
                                  .clamp_min(DBL_MIN)
                                  .unsqueeze(1);  // [t, 1]
    joint.reset();
    for (size_t s = 0; s < marginals.size(); ++s) {
      at::Tensor d = dist[static_cast<size_t>(marginals[s][0])];
      for (size_t b = 1; b < marginals[s].size(); ++b) d = at::maximum(d, dist[static_cast<size_t>(marginals[s][b])]);
      const at::Tensor c = ((d < radius).sum(1) - 1).contiguous();  // minus the row itself
      std::copy_n(c.data_ptr<int64_t>(), r1 - r0, counts[s].begin() + r0);
    }
  }
  return counts;
}

std::vector<std::vector<int64_t>> tree_counts(const std::vector<at::Tensor>& blocks,
                                              const std::vector<BlockSet>& marginals, int64_t k) {
  const int64_t n = blocks.front().size(0);
  BlockSet all(blocks.size());
  for (size_t b = 0; b < blocks.size(); ++b) all[b] = static_cast<int>(b);
  const at::Tensor joint = columns_of(blocks, all);
  const KdTree joint_tree(joint);
  std::vector<std::unique_ptr<KdTree>> trees;
  for (const BlockSet& s : marginals) trees.push_back(std::make_unique<KdTree>(columns_of(blocks, s)));
  std::vector<std::vector<int64_t>> counts(marginals.size(), std::vector<int64_t>(static_cast<size_t>(n)));
  at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double r = count_radius(joint_tree.kth_distance(joint.data_ptr<double>() + i * joint.size(1), k + 1));
      for (size_t s = 0; s < marginals.size(); ++s) {
        counts[s][static_cast<size_t>(i)] = trees[s]->count_closer_to_row(i, r) - 1;
      }
    }
  });
  return counts;
}

}  // namespace

std::vector<std::vector<int64_t>> neighbor_counts(const std::vector<at::Tensor>& blocks,
                                                  const std::vector<BlockSet>& marginals, int64_t k,
                                                  NeighborSearch search, int64_t tile_bytes) {
  return search == NeighborSearch::kTree ? tree_counts(blocks, marginals, k)
                                         : brute_counts(blocks, marginals, k, tile_bytes);
}

at::Tensor nearest_indices(const at::Tensor& points, int64_t m, int64_t tile_bytes) {
  const int64_t n = points.size(0);
  at::Tensor out = at::empty({n, m}, at::kLong);
  const int64_t tile = tile_rows(n, 2, tile_bytes);
  for (int64_t r0 = 0; r0 < n; r0 += tile) {
    const int64_t r1 = std::min(n, r0 + tile);
    const at::Tensor d = max_norm_distances(points.slice(0, r0, r1), points);
    out.slice(0, r0, r1).copy_(std::get<1>(d.topk(m, 1, /*largest=*/false, /*sorted=*/true)));
  }
  return out;
}

}  // namespace mipp::info
