// The ksg estimator against scikit-learn's KSG routine (sklearn.feature_selection's
// _compute_mi_cc, run on the data its mutual_info_regression would use before adding noise) on
// the same data: the estimates must agree to 1e-6. scikit-learn comes with mipp's Python
// environment (scripts/install-deps.sh): without it the test fails.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>

#include "info/gaussian_samples.h"
#include "mipp/info/ksg.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace mipp::info {

TEST(KsgEstimator, AgreesWithScikitLearnWithoutNoise) {
  ASSERT_EQ(mipp::testing::run_command(std::string(MIPP_PYTHON) + " -c 'import sklearn'").exit_code, 0)
      << "scikit-learn is not importable from " << MIPP_PYTHON << "; run scripts/install-deps.sh";
  mipp::testing::TempDir dir;
  for (uint64_t seed : {1, 2}) {
    at::Generator g = testing::generator(seed, "sklearn");
    const at::Tensor x = at::randn({1500, 1}, g, at::kDouble);
    const at::Tensor y = 0.7 * x + at::randn({1500, 1}, g, at::kDouble) + 3;
    const std::string csv = dir.file("pair.csv");
    {
      std::ofstream f(csv);
      for (int64_t i = 0; i < x.size(0); ++i) f << fmt::format("{},{}\n", x[i][0].item<double>(), y[i][0].item<double>());
    }
    const std::string script =
        "import numpy as np; from sklearn.preprocessing import scale; "
        "from sklearn.feature_selection._mutual_info import _compute_mi_cc; "
        "d = np.loadtxt('" + csv + "', delimiter=','); "
        "print(float(_compute_mi_cc(scale(d[:, 0], with_mean=False), scale(d[:, 1], with_mean=False), 3)))";
    const mipp::testing::CommandResult r = mipp::testing::run_command(std::string(MIPP_PYTHON) + " -c \"" + script + "\"");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double sklearn = std::stod(r.out);
    // fmt's shortest round-trip format: the file holds exactly x and y.
    const double mipp = make_ksg_estimator()->mutual_information(x, y).value;
    std::printf("seed %llu: mipp %.12f, sklearn %.12f, difference %.2e\n", static_cast<unsigned long long>(seed), mipp,
                sklearn, mipp - sklearn);
    EXPECT_NEAR(mipp, sklearn, 1e-6) << "seed " << seed;
    EXPECT_GT(sklearn, 0.1);
  }
}

}  // namespace mipp::info
