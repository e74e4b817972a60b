#include "mipp/data/dataset.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "support/expect_error.h"

namespace mipp::data {

namespace {

using testing::expect_error;

// Sample i has every input value equal to i and label i % 3, so a subset reveals its indices.
Dataset numbered(int64_t n) {
  Dataset d;
  d.name = "numbered";
  d.num_classes = 3;
  d.inputs = torch::arange(n, torch::kFloat32).view({n, 1, 1, 1}).expand({n, 1, 2, 2}).contiguous();
  d.labels = torch::arange(n, torch::kInt64).remainder(3);
  return d;
}

std::vector<int64_t> ids(const Dataset& d) {
  const at::Tensor first = d.inputs.flatten(1).select(1, 0).to(torch::kInt64).contiguous();
  return std::vector<int64_t>(first.data_ptr<int64_t>(), first.data_ptr<int64_t>() + first.numel());
}

}  // namespace

TEST(Dataset, SampleShapeDropsTheBatchDimension) {
  EXPECT_EQ(numbered(4).sample_shape(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_TRUE(Dataset{}.sample_shape().empty());
  EXPECT_EQ(Dataset{}.size(), 0);
}

TEST(Dataset, SubsetTakesIndicesInOrder) {
  const Dataset s = subset(numbered(6), torch::tensor({4, 0, 4}, torch::kInt64));
  EXPECT_EQ(ids(s), (std::vector<int64_t>{4, 0, 4}));
  EXPECT_TRUE(torch::equal(s.labels, torch::tensor({1, 0, 1}, torch::kInt64)));
  EXPECT_EQ(s.name, "numbered");
  EXPECT_EQ(s.num_classes, 3);
}

TEST(Dataset, SubsetRejectsIndexOutOfRange) {
  expect_error([] { subset(numbered(6), torch::tensor({1, 6}, torch::kInt64)); }, ErrorKind::kInvalidArgument,
               {"numbered", "index 6", "[0, 6)"});
}

TEST(Dataset, HeadTakesTheFirstSamples) {
  EXPECT_EQ(ids(head(numbered(6), 2)), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(head(numbered(6), 100).size(), 6);
}

TEST(Split, SizesFollowTheFraction) {
  const Split s = split(numbered(10), 0.25, 1);
  EXPECT_EQ(s.second.size(), 3);  // round(2.5) = 3
  EXPECT_EQ(s.first.size(), 7);
  EXPECT_EQ(split(numbered(10), 0.0, 1).second.size(), 0);
}

TEST(Split, PartsAreDisjointCoverEverythingAndKeepOrder) {
  const Split s = split(numbered(50), 0.3, 7);
  std::vector<int64_t> a = ids(s.first), b = ids(s.second);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  std::set<int64_t> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 50u);
  // Labels travel with their inputs.
  EXPECT_TRUE(torch::equal(s.second.labels, torch::tensor(b, torch::kInt64).remainder(3)));
}

TEST(Split, SameSeedSameSplitOtherSeedOtherSplit) {
  const Dataset d = numbered(50);
  EXPECT_EQ(ids(split(d, 0.3, 7).second), ids(split(d, 0.3, 7).second));
  EXPECT_NE(ids(split(d, 0.3, 7).second), ids(split(d, 0.3, 8).second));
}

TEST(Split, RejectsFractionOutsideUnitInterval) {
  expect_error([] { split(numbered(4), 1.0, 0); }, ErrorKind::kInvalidArgument, {"fraction 1", "[0, 1)"});
  expect_error([] { split(numbered(4), -0.1, 0); }, ErrorKind::kInvalidArgument, {"fraction -0.1"});
}

TEST(Calibration, SubsetIsSeededWithoutReplacement) {
  const Dataset d = numbered(40);
  const Dataset c = calibration_subset(d, 10, 3);
  const std::vector<int64_t> picked = ids(c);
  EXPECT_EQ(std::set<int64_t>(picked.begin(), picked.end()).size(), 10u);
  EXPECT_EQ(picked, ids(calibration_subset(d, 10, 3)));
  EXPECT_NE(picked, ids(calibration_subset(d, 10, 4)));
  EXPECT_TRUE(c.labels.defined());
}

TEST(Calibration, AllSamplesShuffledWhenAskedForMore) {
  const std::vector<int64_t> picked = ids(calibration_subset(numbered(20), 100, 3));
  EXPECT_EQ(picked.size(), 20u);
  EXPECT_EQ(std::set<int64_t>(picked.begin(), picked.end()).size(), 20u);
  EXPECT_FALSE(std::is_sorted(picked.begin(), picked.end()));
}

TEST(Calibration, WithoutLabelsHasUndefinedLabels) {
  const Dataset c = calibration_subset(numbered(20), 5, 3, /*with_labels=*/false);
  EXPECT_FALSE(c.labels.defined());
  EXPECT_EQ(c.size(), 5);
  EXPECT_NO_THROW(validate(c, "calibration"));
}

TEST(Dataset, ValidateAcceptsAConsistentDataset) { EXPECT_NO_THROW(validate(numbered(5), "train")); }

TEST(Dataset, ValidateRejectsInconsistentTensors) {
  Dataset d = numbered(5);
  d.labels = d.labels.narrow(0, 0, 4);
  expect_error([&] { validate(d, "train"); }, ErrorKind::kInvalidArgument, {"train", "5 inputs", "4 labels"});
  d = numbered(5);
  d.labels = d.labels.to(torch::kInt32);
  expect_error([&] { validate(d, "train"); }, ErrorKind::kInvalidArgument, {"train", "int64"});
  d = numbered(5);
  d.inputs = d.inputs.to(torch::kFloat64);
  expect_error([&] { validate(d, "train"); }, ErrorKind::kInvalidArgument, {"train", "float32"});
  d = numbered(5);
  d.inputs = d.inputs.flatten();
  expect_error([&] { validate(d, "train"); }, ErrorKind::kInvalidArgument, {"train", "[20]"});
}

TEST(Dataset, ValidateRejectsLabelsOutOfRangeAndNonFiniteInputs) {
  Dataset d = numbered(5);
  d.labels[2] = 3;
  expect_error([&] { validate(d, "test"); }, ErrorKind::kCorruption, {"test", "label 3", "[0, 3)"});
  d = numbered(5);
  d.labels[0] = -1;
  expect_error([&] { validate(d, "test"); }, ErrorKind::kCorruption, {"label -1"});
  d = numbered(5);
  d.inputs[1][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  expect_error([&] { validate(d, "test"); }, ErrorKind::kNumerical, {"test", "NaN"});
}

}  // namespace mipp::data
