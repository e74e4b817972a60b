#include "mipp/util/seed.h"

#include <gtest/gtest.h>

namespace mipp::util {

TEST(DeriveSeed, StagesGetDifferentSeeds) { EXPECT_NE(derive_seed(1, "init"), derive_seed(1, "calibration")); }

TEST(DeriveSeed, RootSeedsGetDifferentSeeds) { EXPECT_NE(derive_seed(1, "init"), derive_seed(2, "init")); }

TEST(DeriveSeed, IsAPureFunction) { EXPECT_EQ(derive_seed(7, "data"), derive_seed(7, "data")); }

}  // namespace mipp::util
