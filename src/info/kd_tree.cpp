#include "info/kd_tree.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace mipp::info {

namespace {

// Rows per leaf: small enough that a leaf scan is cheap, large enough that the tree stays shallow.
constexpr int64_t kLeafSize = 16;

}  // namespace

KdTree::KdTree(const at::Tensor& points) : d_(points.size(1)) {
  const at::Tensor p = points.to(at::kDouble).contiguous();
  const int64_t n = p.size(0);
  const double* data = p.data_ptr<double>();
  place_.resize(static_cast<size_t>(n));
  if (d_ == 1) {  // no tree: the sorted values answer both queries
    std::vector<std::pair<double, int64_t>> by_value(static_cast<size_t>(n));  // contiguous: sorts faster than indices
    for (int64_t i = 0; i < n; ++i) by_value[static_cast<size_t>(i)] = {data[i], i};
    std::sort(by_value.begin(), by_value.end());
    sorted_.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      sorted_[static_cast<size_t>(i)] = by_value[static_cast<size_t>(i)].first;
      place_[static_cast<size_t>(by_value[static_cast<size_t>(i)].second)] = i;
    }
    return;
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  nodes_.reserve(static_cast<size_t>(2 * (n / kLeafSize + 1)));
  build(order, data, 0, n);
  points_.resize(static_cast<size_t>(n * d_));
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(data + order[static_cast<size_t>(i)] * d_, d_, points_.begin() + i * d_);
    place_[static_cast<size_t>(order[static_cast<size_t>(i)])] = i;
  }
}

int32_t KdTree::build(std::vector<int64_t>& order, const double* data, int64_t begin, int64_t end) {
  const auto id = static_cast<int32_t>(nodes_.size());
  nodes_.push_back({begin, end, -1, -1});
  lo_.resize(lo_.size() + static_cast<size_t>(d_), INFINITY);
  hi_.resize(hi_.size() + static_cast<size_t>(d_), -INFINITY);
  double* lo = lo_.data() + id * d_;
  double* hi = hi_.data() + id * d_;
  for (int64_t i = begin; i < end; ++i) {
    const double* row = data + order[static_cast<size_t>(i)] * d_;
    for (int64_t c = 0; c < d_; ++c) {
      lo[c] = std::min(lo[c], row[c]);
      hi[c] = std::max(hi[c], row[c]);
    }
  }
  if (end - begin <= kLeafSize) return id;
  // Split the widest coordinate at the median (balanced depth whatever the data).
  int64_t axis = 0;
  for (int64_t c = 1; c < d_; ++c) {
    if (hi[c] - lo[c] > hi[axis] - lo[axis]) axis = c;
  }
  const int64_t mid = begin + (end - begin) / 2;
  std::nth_element(order.begin() + begin, order.begin() + mid, order.begin() + end,
                   [&](int64_t a, int64_t b) { return data[a * d_ + axis] < data[b * d_ + axis]; });
  const int32_t left = build(order, data, begin, mid);
  const int32_t right = build(order, data, mid, end);
  nodes_[static_cast<size_t>(id)].left = left;  // nodes_ may have reallocated: index, not reference
  nodes_[static_cast<size_t>(id)].right = right;
  return id;
}

double KdTree::box_distance(int32_t node, const double* q) const {
  const double* lo = lo_.data() + node * d_;
  const double* hi = hi_.data() + node * d_;
  double d = 0;
  for (int64_t c = 0; c < d_; ++c) {
    if (q[c] < lo[c]) d = std::max(d, std::fabs(lo[c] - q[c]));
    else if (q[c] > hi[c]) d = std::max(d, std::fabs(q[c] - hi[c]));
  }
  return d;
}

double KdTree::box_far(int32_t node, const double* q) const {
  const double* lo = lo_.data() + node * d_;
  const double* hi = hi_.data() + node * d_;
  double d = 0;
  for (int64_t c = 0; c < d_; ++c) d = std::max({d, std::fabs(lo[c] - q[c]), std::fabs(hi[c] - q[c])});
  return d;
}

double KdTree::distance(int64_t row, const double* q) const {
  const double* p = points_.data() + row * d_;
  double d = 0;
  for (int64_t c = 0; c < d_; ++c) d = std::max(d, std::fabs(p[c] - q[c]));
  return d;
}

double KdTree::kth_distance(const double* q, int64_t k) const {
  if (d_ == 1) {
    // Merge outwards from q's position: the nearer of the next value below and above, k times.
    const double c = q[0];
    auto hi = std::lower_bound(sorted_.begin(), sorted_.end(), c);
    auto lo = hi;  // values below q are [begin, lo)
    double d = 0;
    for (int64_t taken = 0; taken < k; ++taken) {
      const double below = lo == sorted_.begin() ? INFINITY : std::fabs(*(lo - 1) - c);
      const double above = hi == sorted_.end() ? INFINITY : std::fabs(*hi - c);
      if (below <= above) {
        d = below;
        --lo;
      } else {
        d = above;
        ++hi;
      }
    }
    return d;
  }
  // Max-heap of the k smallest distances so far; on the stack for the usual small k.
  constexpr int64_t kStackHeap = 64;
  double stack_heap[kStackHeap];
  std::vector<double> big_heap(k > kStackHeap ? static_cast<size_t>(k) : 0);
  Heap heap{k > kStackHeap ? big_heap.data() : stack_heap, 0, k};
  search(0, q, heap);
  return heap.data[0];
}

void KdTree::search(int32_t node, const double* q, Heap& heap) const {
  const Node& nd = nodes_[static_cast<size_t>(node)];
  if (nd.left < 0) {
    for (int64_t i = nd.begin; i < nd.end; ++i) {
      const double d = distance(i, q);
      if (heap.size < heap.capacity) {
        heap.data[heap.size++] = d;
        std::push_heap(heap.data, heap.data + heap.size);
      } else if (d < heap.data[0]) {
        std::pop_heap(heap.data, heap.data + heap.size);
        heap.data[heap.size - 1] = d;
        std::push_heap(heap.data, heap.data + heap.size);
      }
    }
    return;
  }
  int32_t near = nd.left, far = nd.right;
  double d_near = box_distance(near, q), d_far = box_distance(far, q);
  if (d_far < d_near) {
    std::swap(near, far);
    std::swap(d_near, d_far);
  }
  // A box no closer than the current k-th distance cannot lower it (equal values change nothing).
  if (heap.size < heap.capacity || d_near < heap.data[0]) search(near, q, heap);
  if (heap.size < heap.capacity || d_far < heap.data[0]) search(far, q, heap);
}

int64_t KdTree::count_closer(const double* q, double r) const {
  if (d_ != 1) return count(0, q, r);
  // Rounding keeps |v - q| monotone on each side of q, so the values within r form one run:
  // skip those below q and not within r; from there, within r holds for a prefix.
  const double c = q[0];
  const auto within = [&](double v) { return std::fabs(v - c) < r; };
  const auto first =
      std::partition_point(sorted_.begin(), sorted_.end(), [&](double v) { return v < c && !within(v); });
  return std::partition_point(first, sorted_.end(), within) - first;
}

int64_t KdTree::count_closer_to_row(int64_t row, double r) const {
  const int64_t place = place_[static_cast<size_t>(row)];
  if (d_ != 1) return count(0, points_.data() + place * d_, r);
  if (!(r > 0)) return 0;  // nothing is closer than 0; the row itself is within any r > 0
  // As in count_closer, the values within r form one run around the row's place. Double the step
  // while the value there is still within r, then binary-search the last step.
  const double c = sorted_[static_cast<size_t>(place)];
  const auto n = static_cast<int64_t>(sorted_.size());
  const auto within = [&](int64_t i) { return std::fabs(sorted_[static_cast<size_t>(i)] - c) < r; };
  int64_t last = place, step = 1;  // last: the farthest index known within, above the place
  while (last + step < n && within(last + step)) {
    last += step;
    step *= 2;
  }
  for (int64_t hi = std::min(n, last + step); hi - last > 1;) {  // within(last), !within(hi) or hi = n
    const int64_t mid = last + (hi - last) / 2;
    (within(mid) ? last : hi) = mid;
  }
  int64_t first = place;
  step = 1;
  while (first - step >= 0 && within(first - step)) {
    first -= step;
    step *= 2;
  }
  for (int64_t lo = std::max<int64_t>(-1, first - step); first - lo > 1;) {  // within(first), !within(lo) or lo = -1
    const int64_t mid = lo + (first - lo) / 2;
    (within(mid) ? first : lo) = mid;
  }
  return last - first + 1;
}

int64_t KdTree::count(int32_t node, const double* q, double r) const {
  if (box_distance(node, q) >= r) return 0;
  const Node& nd = nodes_[static_cast<size_t>(node)];
  if (box_far(node, q) < r) return nd.end - nd.begin;
  if (nd.left < 0) {
    int64_t c = 0;
    for (int64_t i = nd.begin; i < nd.end; ++i) c += distance(i, q) < r;
    return c;
  }
  return count(nd.left, q, r) + count(nd.right, q, r);
}

}  // namespace mipp::info
