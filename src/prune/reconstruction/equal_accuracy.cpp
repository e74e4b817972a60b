#include "prune/reconstruction/equal_accuracy.h"

#include <algorithm>
#include <numeric>

#include "mipp/util/error.h"

namespace mipp::prune::reconstruction {

namespace {

// Fewest units of `c` whose (enveloped) accuracy reaches `a`: the layer's size when none does.
int64_t smallest_count_reaching(const LayerCurve& c, const std::vector<double>& envelope, double a) {
  for (size_t i = 0; i < c.counts.size(); ++i) {
    if (envelope[i] >= a) return std::max(c.counts[i], c.floor);
  }
  return c.size;
}

int64_t total(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

}  // namespace

const std::vector<double>& one_layer_fractions() {
  static const std::vector<double> f = {0.01, 0.05, 0.075, 0.1,  0.15, 0.2,  0.25, 0.3,  0.35, 0.4,  0.45,
                                        0.5,  0.55,  0.6,   0.65, 0.7,  0.75, 0.8,  0.85, 0.9,  0.95, 1.0};
  return f;
}

EqualAccuracyBudget solve_equal_accuracy(const std::vector<LayerCurve>& curves, int64_t max_kept) {
  std::vector<std::vector<double>> envelopes;
  std::vector<int64_t> floors;
  double highest = 0;
  for (const LayerCurve& c : curves) {
    std::vector<double> e = c.accuracy;
    for (size_t i = 1; i < e.size(); ++i) e[i] = std::max(e[i], e[i - 1]);
    highest = std::max(highest, e.empty() ? 0.0 : e.back());
    envelopes.push_back(std::move(e));
    floors.push_back(c.floor);
  }
  MIPP_CHECK(total(floors) <= max_kept, kInvalidArgument,
             "equal-accuracy budget: the layers' minimum widths keep {} units, more than the {} allowed", total(floors),
             max_kept);
  auto counts_at = [&](double a) {
    std::vector<int64_t> counts;
    for (size_t g = 0; g < curves.size(); ++g) counts.push_back(smallest_count_reaching(curves[g], envelopes[g], a));
    return counts;
  };
  // Highest a whose counts fit; a = 0 always fits (every layer at its floor or smallest count).
  double lo = 0, hi = highest;
  if (total(counts_at(hi)) <= max_kept) lo = hi;
  while (hi - lo > 1e-5) {
    const double mid = (lo + hi) / 2;
    (total(counts_at(mid)) <= max_kept ? lo : hi) = mid;
  }
  EqualAccuracyBudget out{counts_at(lo), lo};
  if (total(out.counts) > max_kept) out.counts = floors;  // a = 0 not reachable by the smallest grid counts
  // The rest of the budget: to the layers keeping the largest fractions first.
  std::vector<size_t> order(curves.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return out.counts[x] * curves[y].size > out.counts[y] * curves[x].size;
  });
  int64_t left = max_kept - total(out.counts);
  for (size_t g : order) {
    const int64_t add = std::min(left, curves[g].size - out.counts[g]);
    out.counts[g] += add;
    left -= add;
  }
  return out;
}

void to_json(nlohmann::json& j, const LayerCurve& c) {
  j = {{"size", c.size}, {"floor", c.floor}, {"counts", c.counts}, {"accuracy", c.accuracy}};
}

}  // namespace mipp::prune::reconstruction
