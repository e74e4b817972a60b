#include "mipp/bench/summary.h"

#include <gtest/gtest.h>

namespace mipp::bench {

TEST(BenchSummary, MeanAndSampleStandardDeviation) {
  const MeanSd m = mean_sd({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(m.mean, 2.0);
  EXPECT_DOUBLE_EQ(m.sd, 1.0);
  EXPECT_EQ(m.n, 3u);
  EXPECT_DOUBLE_EQ(mean_sd({4.0}).sd, 0.0);
}

}  // namespace mipp::bench
