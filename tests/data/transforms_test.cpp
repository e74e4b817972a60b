#include "mipp/data/transforms.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/expect_error.h"

namespace mipp::data {

namespace {

using testing::expect_error;

Dataset images(std::vector<int64_t> shape, uint64_t seed = 1) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  Dataset d;
  d.name = "fashion-mnist";
  d.num_classes = 10;
  d.inputs = torch::rand(shape, gen);
  d.labels = torch::zeros({shape[0]}, torch::kInt64);
  return d;
}

}  // namespace

TEST(Transforms, StandardNormalizationOfKnownDatasets) {
  EXPECT_EQ(standard_normalization("fashion-mnist").mean, std::vector<double>{0.2860});
  EXPECT_EQ(standard_normalization("mnist").std, std::vector<double>{0.3081});
  EXPECT_EQ(standard_normalization("cifar10").mean.size(), 3u);
  EXPECT_EQ(standard_normalization("cifar100").std.size(), 3u);
  EXPECT_TRUE(standard_normalization("synthetic-clusters").empty());
}

TEST(Transforms, NormalizeWithComputedStatisticsGivesZeroMeanUnitStd) {
  Dataset d = images({50, 3, 5, 5});
  d.inputs = d.inputs * torch::tensor({1.0f, 2.0f, 0.5f}).view({1, 3, 1, 1}) + 3;  // channels differ
  const Normalization n = compute_normalization(d);
  ASSERT_EQ(n.mean.size(), 3u);
  EXPECT_NEAR(n.mean[0], 3.5, 0.05);
  EXPECT_NEAR(n.std[1], 2.0 / std::sqrt(12.0), 0.05);  // uniform on [0, 2]
  const Dataset z = normalize(d, n);
  const at::Tensor mean = z.inputs.mean({0, 2, 3}), std = z.inputs.std({0, 2, 3}, /*unbiased=*/false);
  EXPECT_TRUE(torch::allclose(mean, torch::zeros({3}), 0, 1e-5)) << mean;
  EXPECT_TRUE(torch::allclose(std, torch::ones({3}), 0, 1e-5)) << std;
}

TEST(Transforms, NormalizeFlatDataPerFeature) {
  Dataset d = images({40, 6});
  const Dataset z = normalize(d, compute_normalization(d));
  EXPECT_TRUE(torch::allclose(z.inputs.mean(0), torch::zeros({6}), 0, 1e-5));
}

TEST(Transforms, SingleEntryNormalizationAppliesToEveryChannel) {
  const Dataset d = images({4, 3, 2, 2});
  const Dataset z = normalize(d, {{0.5}, {0.25}});
  EXPECT_TRUE(torch::allclose(z.inputs, (d.inputs - 0.5) / 0.25));
}

TEST(Transforms, EmptyNormalizationChangesNothing) {
  const Dataset d = images({4, 1, 2, 2});
  EXPECT_TRUE(torch::equal(normalize(d, {}).inputs, d.inputs));
}

TEST(Transforms, NormalizeRejectsWrongEntryCountAndZeroStd) {
  const Dataset d = images({4, 3, 2, 2});
  expect_error([&] { normalize(d, {{0.1, 0.2}, {1.0, 1.0}}); }, ErrorKind::kInvalidArgument,
               {"2 means", "fashion-mnist", "3 channels"});
  expect_error([&] { normalize(d, {{0.1}, {0.0}}); }, ErrorKind::kInvalidArgument, {"std[0] = 0"});
}

TEST(Transforms, FitSameShapeIsUnchanged) {
  const Dataset d = images({2, 1, 28, 28});
  EXPECT_TRUE(fit_to_shape(d, {1, 28, 28}).inputs.is_same(d.inputs));
}

TEST(Transforms, FitFlattensForMlps) {
  const Dataset d = images({2, 1, 28, 28});
  const Dataset f = fit_to_shape(d, {784});
  ASSERT_EQ(f.sample_shape(), (std::vector<int64_t>{784}));
  EXPECT_FLOAT_EQ(f.inputs[1][28 + 3].item<float>(), d.inputs[1][0][1][3].item<float>());  // row-major
  EXPECT_TRUE(torch::equal(f.labels, d.labels));
}

TEST(Transforms, FitPadsSymmetricallyWithZeros) {
  const Dataset d = images({2, 1, 28, 28});
  const Dataset f = fit_to_shape(d, {1, 32, 32});
  ASSERT_EQ(f.sample_shape(), (std::vector<int64_t>{1, 32, 32}));
  EXPECT_TRUE(torch::equal(f.inputs.narrow(2, 2, 28).narrow(3, 2, 28), d.inputs));
  EXPECT_DOUBLE_EQ(f.inputs.abs().sum().item<double>(), d.inputs.abs().sum().item<double>());
}

TEST(Transforms, FitPadsThenReplicatesGreyToRgb) {
  const Dataset d = images({2, 1, 28, 28});
  const Dataset f = fit_to_shape(d, {3, 32, 32});
  ASSERT_EQ(f.sample_shape(), (std::vector<int64_t>{3, 32, 32}));
  const at::Tensor grey = fit_to_shape(d, {1, 32, 32}).inputs;
  for (int64_t c = 0; c < 3; ++c) EXPECT_TRUE(torch::equal(f.inputs.narrow(1, c, 1), grey));
  EXPECT_TRUE(f.inputs.is_contiguous());
}

TEST(Transforms, FitRejectsImpossibleShapesNamingBoth) {
  const Dataset d = images({2, 1, 28, 28});
  expect_error([&] { fit_to_shape(d, {3, 16, 16}); }, ErrorKind::kInvalidArgument,
               {"dataset fashion-mnist has samples [1, 28, 28]; the model expects [3, 16, 16]"});
  expect_error([&] { fit_to_shape(d, {100}); }, ErrorKind::kInvalidArgument, {"[1, 28, 28]", "[100]"});
  expect_error([&] { fit_to_shape(images({2, 3, 8, 8}), {1, 8, 8}); }, ErrorKind::kInvalidArgument,
               {"[3, 8, 8]", "[1, 8, 8]"});
  expect_error([&] { fit_to_shape(images({2, 6}), {1, 2, 3}); }, ErrorKind::kInvalidArgument, {"[6]", "[1, 2, 3]"});
}

TEST(Transforms, RandomCropFlipIsDeterministicGivenTheGenerator) {
  const at::Tensor batch = images({8, 3, 6, 6}).inputs;
  at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(5), g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor a = random_crop_flip(batch, g1, 2), b = random_crop_flip(batch, g2, 2);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, random_crop_flip(batch, g1, 2)));  // the generator moved on
}

TEST(Transforms, RandomCropFlipOfOnesIsACropOfThePaddedImage) {
  // An all-ones image padded with zeros: any crop holds only 0s and 1s, and its 1s form a
  // rectangle of at least (H - padding) x (W - padding) pixels, identical in every channel.
  const int64_t n = 32, h = 8, w = 8, pad = 4;
  const at::Tensor batch = torch::ones({n, 2, h, w});
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const at::Tensor out = random_crop_flip(batch, gen, pad);
  ASSERT_EQ(out.sizes(), batch.sizes());
  EXPECT_TRUE(((out == 0) | (out == 1)).all().item<bool>());
  EXPECT_TRUE(torch::equal(out.select(1, 0), out.select(1, 1)));
  const at::Tensor rows = out.select(1, 0).amax(2), cols = out.select(1, 0).amax(1);  // [N, H], [N, W]
  const at::Tensor area = out.select(1, 0).sum({1, 2}), rect = rows.sum(1) * cols.sum(1);
  EXPECT_TRUE(torch::equal(area, rect));  // the ones form one rectangle
  EXPECT_GE(rows.sum(1).min().item<int64_t>(), h - pad);
  EXPECT_LT(area.min().item<double>(), h * w);  // some samples were shifted
}

TEST(Transforms, RandomCropFlipWithoutPaddingOnlyFlips) {
  const at::Tensor batch = images({16, 1, 3, 4}).inputs;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor out = random_crop_flip(batch, gen, 0);
  int flipped = 0;
  for (int64_t i = 0; i < 16; ++i) {
    const bool same = torch::equal(out[i], batch[i]);
    const bool mirrored = torch::equal(out[i], batch[i].flip(2));
    EXPECT_TRUE(same || mirrored) << "sample " << i;
    flipped += mirrored;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 16);
}

}  // namespace mipp::data
