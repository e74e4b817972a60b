#include "info/kd_tree.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "info/gaussian_samples.h"

namespace mipp::info {

// Against a direct scan over all points, for d = 1 (sorted values, no tree) and d = 2, 3 (the
// tree), on data rounded to a coarse grid so that distances tie often.
TEST(KdTree, QueriesEqualBruteForceIncludingTies) {
  for (int64_t d : {1, 2, 3}) {
    at::Generator g = testing::generator(static_cast<uint64_t>(d), "kd tree");
    const at::Tensor p = (at::randn({500, d}, g, at::kDouble) * 3).round() / 3;
    const KdTree tree(p);
    const double* data = p.data_ptr<double>();
    for (int64_t i = 0; i < 500; i += 7) {
      const double* q = data + i * d;
      std::vector<double> dist;
      for (int64_t j = 0; j < 500; ++j) {
        double m = 0;
        for (int64_t c = 0; c < d; ++c) m = std::max(m, std::fabs(data[j * d + c] - q[c]));
        dist.push_back(m);
      }
      std::vector<double> sorted = dist;
      std::sort(sorted.begin(), sorted.end());
      for (int64_t k : {1, 2, 4, 30}) {
        EXPECT_EQ(tree.kth_distance(q, k), sorted[static_cast<size_t>(k - 1)]) << "d " << d << " row " << i;
      }
      // Radii at the k-th distances (ties at the boundary), just above them, 0 and beyond every point.
      std::vector<double> radii = {0.0, DBL_MIN, 1e9};
      for (int64_t k : {1, 2, 4, 30, 499}) {
        radii.push_back(sorted[static_cast<size_t>(k - 1)]);
        radii.push_back(std::nextafter(sorted[static_cast<size_t>(k - 1)], INFINITY));
      }
      for (double r : radii) {
        const auto closer = std::count_if(dist.begin(), dist.end(), [&](double x) { return x < r; });
        EXPECT_EQ(tree.count_closer(q, r), closer) << "d " << d << " row " << i << " r " << r;
        EXPECT_EQ(tree.count_closer_to_row(i, r), closer) << "d " << d << " row " << i << " r " << r;
      }
    }
  }
}

}  // namespace mipp::info
