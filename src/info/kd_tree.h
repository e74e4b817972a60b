// A k-d tree over the rows of an [n, d] float64 matrix, for the exact max-norm neighbour queries of
// the ksg estimator in low dimension (d up to ~4, where it beats brute force by far).
//
// Exactness: distances are max_c |p_c - q_c| computed in float64, the same numbers the brute-force
// search compares. Pruning uses bounding boxes of the stored points and is exact too: rounding of
// a difference is monotone, so for lo <= p_c <= hi, |p_c - q_c| lies between the box's nearest and
// farthest edge differences as computed. Queries therefore return the same values as brute force.
//
// Thread-safety: const methods may be called concurrently once constructed.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::info {

class KdTree {
 public:
  // points [n, d] float64 CPU, n >= 1, d >= 1; copied.
  explicit KdTree(const at::Tensor& points);

  // The k-th smallest max-norm distance from q [d] to the stored points, counting repeated values
  // (and q itself, at distance 0, when q is one of the points). REQUIRES: 1 <= k <= n.
  double kth_distance(const double* q, int64_t k) const;

  // Number of stored points p with max_c |p_c - q_c| < r.
  // In one dimension there is no tree: both queries search the sorted values (binary searches,
  // then a merge outwards for the k-th distance), several times faster and with the same results.
  int64_t count_closer(const double* q, double r) const;

  // count_closer(q, r) for q = row `row` of the matrix the tree was built from. In one dimension
  // it searches outwards from the row's place in the sorted values (doubling steps, then a binary
  // search), so it costs O(log count) instead of O(log n): ksg's marginal counts are mostly small.
  int64_t count_closer_to_row(int64_t row, double r) const;

 private:
  struct Node {
    int64_t begin = 0, end = 0;  // rows [begin, end) of points_
    int32_t left = -1, right = -1;  // children, -1 for a leaf
  };

  int32_t build(std::vector<int64_t>& order, const double* data, int64_t begin, int64_t end);
  double box_distance(int32_t node, const double* q) const;  // lower bound on distances to the box
  double box_far(int32_t node, const double* q) const;       // upper bound
  double distance(int64_t row, const double* q) const;
  struct Heap {
    double* data;
    int64_t size, capacity;
  };
  void search(int32_t node, const double* q, Heap& heap) const;
  int64_t count(int32_t node, const double* q, double r) const;

  int64_t d_ = 0;
  std::vector<double> points_;  // [n, d], rows in tree order
  std::vector<Node> nodes_;     // nodes_[0] is the root
  std::vector<double> lo_, hi_;  // [nodes, d] bounding boxes (coordinate minima and maxima)
  std::vector<double> sorted_;   // d = 1 only (no tree): the values, ascending
  std::vector<int64_t> place_;   // place_[row]: the row's index in sorted_ (d = 1) or points_
};

}  // namespace mipp::info
