#include "mipp/data/synthetic.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/expect_error.h"

namespace mipp::data {

TEST(Synthetic, ClustersHaveTheRequestedShapeAndBalancedClasses) {
  ClustersOptions o;
  o.num_samples = 103;
  o.num_classes = 4;
  o.num_features = 5;
  const Dataset d = gaussian_clusters(o, 1);
  EXPECT_EQ(d.sample_shape(), (std::vector<int64_t>{5}));
  EXPECT_EQ(d.num_classes, 4);
  EXPECT_NO_THROW(validate(d, "clusters"));
  const at::Tensor counts = torch::bincount(d.labels);
  EXPECT_LE((counts.max() - counts.min()).item<int64_t>(), 1);
}

TEST(Synthetic, ClustersAreDeterminedBySeed) {
  const ClustersOptions o;
  const Dataset a = gaussian_clusters(o, 7), b = gaussian_clusters(o, 7), c = gaussian_clusters(o, 8);
  EXPECT_TRUE(torch::equal(a.inputs, b.inputs));
  EXPECT_TRUE(torch::equal(a.labels, b.labels));
  EXPECT_FALSE(torch::equal(a.inputs, c.inputs));
}

TEST(Synthetic, ClustersAreSeparableByNearestCentroid) {
  ClustersOptions o;
  o.separation = 3.0;
  const Dataset d = gaussian_clusters(o, 2);
  // Centroids estimated from the data itself: [K, F].
  const at::Tensor one_hot = torch::one_hot(d.labels, o.num_classes).to(torch::kFloat32);  // [N, K]
  const at::Tensor centroids = one_hot.t().matmul(d.inputs) / one_hot.sum(0).unsqueeze(1);
  const at::Tensor predicted = torch::cdist(d.inputs, centroids).argmin(1);
  const double accuracy = (predicted == d.labels).to(torch::kFloat32).mean().item<double>();
  EXPECT_GT(accuracy, 0.9);
}

TEST(Synthetic, ClustersRejectBadOptions) {
  ClustersOptions o;
  o.num_classes = 1;
  testing::expect_error([&] { gaussian_clusters(o, 0); }, ErrorKind::kInvalidArgument,
                        {"ClustersOptions.num_classes 1"});
  o = ClustersOptions{};
  o.spread = 0;
  testing::expect_error([&] { gaussian_clusters(o, 0); }, ErrorKind::kInvalidArgument, {"ClustersOptions.spread"});
}

TEST(Synthetic, TeacherDatasetIsDeterminedBySeedAndUsesEveryClass) {
  TeacherOptions o;
  o.num_samples = 2000;
  const Dataset a = teacher_dataset(o, 3), b = teacher_dataset(o, 3), c = teacher_dataset(o, 4);
  EXPECT_EQ(a.sample_shape(), (std::vector<int64_t>{16}));
  EXPECT_NO_THROW(validate(a, "teacher"));
  EXPECT_TRUE(torch::equal(a.inputs, b.inputs));
  EXPECT_TRUE(torch::equal(a.labels, b.labels));
  EXPECT_FALSE(torch::equal(a.labels, c.labels));
  // The centring bias keeps every class in use: no class below a third of its fair share.
  const at::Tensor counts = torch::bincount(a.labels, {}, o.num_classes);
  EXPECT_GT(counts.min().item<int64_t>(), o.num_samples / o.num_classes / 3) << counts;
}

}  // namespace mipp::data
