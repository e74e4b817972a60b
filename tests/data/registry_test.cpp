#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "support/expect_error.h"
#include "mipp/data/readers.h"
#include "mipp/data/transforms.h"
#include "support/dataset_files.h"
#include "support/temp_dir.h"

namespace mipp::data {

namespace {

using testing::expect_error;
using testing::random_pixels;
using testing::write_file;

// shape[0] random images with labels 0, 1, 2, ... (mod num_classes).
struct Part {
  at::Tensor pixels;
  at::Tensor labels;
};

Part part(std::vector<int64_t> shape, int64_t num_classes, uint64_t seed) {
  return {random_pixels(shape, seed), torch::arange(shape[0], torch::kInt64).remainder(num_classes)};
}

// MNIST-layout files in `dir`: 3 training and 2 test images of 28x28.
void write_mnist_files(const std::string& dir, bool gzip) {
  const std::string ext = gzip ? ".gz" : "";
  const Part train = part({3, 28, 28}, 10, 1), test = part({2, 28, 28}, 10, 2);
  write_file(dir + "/train-images-idx3-ubyte" + ext, testing::idx_images_bytes(train.pixels), gzip);
  write_file(dir + "/train-labels-idx1-ubyte" + ext, testing::idx_labels_bytes(train.labels), gzip);
  write_file(dir + "/t10k-images-idx3-ubyte" + ext, testing::idx_images_bytes(test.pixels), gzip);
  write_file(dir + "/t10k-labels-idx1-ubyte" + ext, testing::idx_labels_bytes(test.labels), gzip);
}

}  // namespace

TEST(Registry, ListsKnownDatasets) {
  EXPECT_EQ(dataset_names(), (std::vector<std::string>{"fashion-mnist", "mnist", "cifar10", "cifar100", "image-folder"}));
}

TEST(Registry, LoadsMnistFromPlainOrGzipFiles) {
  for (bool gzip : {false, true}) {
    testing::TempDir dir;
    write_mnist_files(dir.path(), gzip);
    const DatasetSplits s = load_dataset("mnist", dir.path());
    EXPECT_EQ(s.train.name, "mnist");
    EXPECT_EQ(s.train.num_classes, 10);
    EXPECT_EQ(s.train.size(), 3);
    EXPECT_EQ(s.test.size(), 2);
    EXPECT_EQ(s.test.sample_shape(), (std::vector<int64_t>{1, 28, 28}));
    EXPECT_TRUE(torch::allclose(s.test.inputs.squeeze(1), part({2, 28, 28}, 10, 2).pixels.to(torch::kFloat32) / 255));
  }
}

TEST(Registry, MnistNeedsDataDir) {
  expect_error([] { load_dataset("mnist"); }, ErrorKind::kInvalidArgument, {"--data DIR is required for mnist"});
}

TEST(Registry, MissingFileNamesThePath) {
  testing::TempDir dir;
  write_mnist_files(dir.path(), false);
  std::filesystem::remove(dir.file("t10k-labels-idx1-ubyte"));
  expect_error([&] { load_dataset("mnist", dir.path()); }, ErrorKind::kNotFound,
               {dir.file("t10k-labels-idx1-ubyte")});
  expect_error([&] { load_dataset("mnist", dir.file("absent")); }, ErrorKind::kNotFound, {dir.file("absent")});
}

TEST(Registry, MissingFashionMnistHintsAtTheDebianPackage) {
  testing::TempDir dir;
  expect_error([&] { load_dataset("fashion-mnist", dir.file("absent")); }, ErrorKind::kNotFound,
               {dir.file("absent"), "dataset-fashion-mnist", "--data DIR"});
}

TEST(Registry, UnknownNameListsKnownOnes) {
  expect_error([] { load_dataset("imagenet", "/tmp"); }, ErrorKind::kNotFound,
               {"imagenet", "fashion-mnist, mnist, cifar10, cifar100"});
}

TEST(Registry, LoadsCifar10FromTheArchiveSubfolder) {
  testing::TempDir dir;
  const std::string folder = dir.file("cifar-10-batches-bin");
  std::filesystem::create_directory(folder);
  for (int i = 1; i <= 5; ++i) {
    const Part p = part({i, 3, 32, 32}, 10, static_cast<uint64_t>(i));
    write_file(folder + "/data_batch_" + std::to_string(i) + ".bin", testing::cifar_bytes(p.pixels, p.labels));
  }
  const Part test = part({2, 3, 32, 32}, 10, 9);
  write_file(folder + "/test_batch.bin", testing::cifar_bytes(test.pixels, test.labels));
  const DatasetSplits s = load_dataset("cifar10", dir.path());
  EXPECT_EQ(s.train.name, "cifar10");
  EXPECT_EQ(s.train.size(), 1 + 2 + 3 + 4 + 5);
  EXPECT_EQ(s.test.size(), 2);
  // Batches concatenate in order: the last training sample is batch 5's last.
  const at::Tensor last = part({5, 3, 32, 32}, 10, 5).pixels[4].to(torch::kFloat32) / 255;
  EXPECT_TRUE(torch::allclose(s.train.inputs[14], last));
  // DIR may also point at the subfolder itself.
  EXPECT_EQ(load_dataset("cifar10", folder).train.size(), 15);
}

TEST(Registry, LoadsCifar100WithFineLabels) {
  testing::TempDir dir;
  const Part train = part({4, 3, 32, 32}, 100, 1), test = part({2, 3, 32, 32}, 100, 2);
  const at::Tensor fine = torch::tensor({99, 50, 1, 0}, torch::kInt64);
  write_file(dir.file("train.bin"), testing::cifar_bytes(train.pixels, fine, torch::full({4}, 3)));
  write_file(dir.file("test.bin"), testing::cifar_bytes(test.pixels, test.labels, test.labels));
  const DatasetSplits s = load_dataset("cifar100", dir.path());
  EXPECT_EQ(s.train.num_classes, 100);
  EXPECT_EQ(s.test.name, "cifar100");
  EXPECT_TRUE(torch::equal(s.train.labels, fine));
  expect_error([] { load_dataset("cifar100"); }, ErrorKind::kInvalidArgument, {"--data DIR is required for cifar100"});
}

TEST(Registry, LoadsDebianFashionMnist) {
  if (!std::filesystem::exists(kFashionMnistDebianDir)) {
    GTEST_SKIP() << kFashionMnistDebianDir << " not installed (Debian package dataset-fashion-mnist)";
  }
  const DatasetSplits s = load_dataset("fashion-mnist");
  EXPECT_EQ(s.train.size(), 60000);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.train.sample_shape(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_NO_THROW(validate(s.train, "train"));
  EXPECT_NO_THROW(validate(s.test, "test"));
  EXPECT_EQ(torch::bincount(s.test.labels).min().item<int64_t>(), 1000);  // 1000 test images per class
  EXPECT_GE(s.train.inputs.min().item<float>(), 0.f);
  EXPECT_LE(s.train.inputs.max().item<float>(), 1.f);
  // The customary statistics are this data's own.
  const Normalization n = compute_normalization(s.train), standard = standard_normalization("fashion-mnist");
  EXPECT_NEAR(n.mean[0], standard.mean[0], 1e-3);
  EXPECT_NEAR(n.std[0], standard.std[0], 1e-3);
}

}  // namespace mipp::data
