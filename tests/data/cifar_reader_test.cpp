#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/expect_error.h"
#include "mipp/data/readers.h"
#include "support/dataset_files.h"
#include "support/temp_dir.h"

namespace mipp::data {

namespace {

using testing::cifar_bytes;
using testing::expect_error;
using testing::random_pixels;
using testing::write_file;

at::Tensor scaled(const at::Tensor& pixels) { return pixels.to(torch::kFloat32) / 255.0; }

}  // namespace

TEST(CifarReader, ReadsChannelMajorPixelsAndLabels) {
  testing::TempDir dir;
  const at::Tensor pixels = random_pixels({3, 3, 32, 32}, 2);
  const at::Tensor labels = torch::tensor({9, 0, 4}, torch::kInt64);
  write_file(dir.file("batch.bin"), cifar_bytes(pixels, labels));
  const Dataset d = read_cifar({dir.file("batch.bin")}, 10, "cifar10");
  EXPECT_EQ(d.name, "cifar10");
  EXPECT_EQ(d.num_classes, 10);
  ASSERT_EQ(d.inputs.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_TRUE(torch::allclose(d.inputs, scaled(pixels)));
  EXPECT_TRUE(torch::equal(d.labels, labels));
}

TEST(CifarReader, ByteOrderIsRedThenGreenThenBluePlanes) {
  // Byte 1 + 1024 of a record is the first green pixel, byte 1 + 3071 the last blue one.
  testing::TempDir dir;
  std::string record(1 + 3072, '\0');
  record[0] = 5;
  record[1 + 1024] = static_cast<char>(255);
  record[1 + 3071] = static_cast<char>(51);
  write_file(dir.file("batch.bin"), record);
  const Dataset d = read_cifar({dir.file("batch.bin")}, 10, "cifar10");
  EXPECT_EQ(d.labels[0].item<int64_t>(), 5);
  EXPECT_FLOAT_EQ(d.inputs[0][1][0][0].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(d.inputs[0][2][31][31].item<float>(), 0.2f);
  EXPECT_FLOAT_EQ(d.inputs.sum().item<float>(), 1.2f);
}

TEST(CifarReader, ConcatenatesFilesInOrderAndReadsGzip) {
  testing::TempDir dir;
  const at::Tensor a = random_pixels({2, 3, 32, 32}, 3), b = random_pixels({1, 3, 32, 32}, 4);
  write_file(dir.file("a.bin"), cifar_bytes(a, torch::tensor({1, 2})));
  write_file(dir.file("b.bin.gz"), cifar_bytes(b, torch::tensor({3})), /*gzip=*/true);
  const Dataset d = read_cifar({dir.file("a.bin"), dir.file("b.bin.gz")}, 10, "cifar10");
  EXPECT_TRUE(torch::allclose(d.inputs, scaled(torch::cat({a, b}))));
  EXPECT_TRUE(torch::equal(d.labels, torch::tensor({1, 2, 3}, torch::kInt64)));
}

TEST(CifarReader, Cifar100UsesFineLabels) {
  testing::TempDir dir;
  const at::Tensor pixels = random_pixels({2, 3, 32, 32}, 5);
  const at::Tensor fine = torch::tensor({99, 42}, torch::kInt64), coarse = torch::tensor({19, 7});
  write_file(dir.file("train.bin"), cifar_bytes(pixels, fine, coarse));
  const Dataset d = read_cifar({dir.file("train.bin")}, 100, "cifar100");
  EXPECT_EQ(d.num_classes, 100);
  EXPECT_TRUE(torch::equal(d.labels, fine));
  EXPECT_TRUE(torch::allclose(d.inputs, scaled(pixels)));
}

TEST(CifarReader, SizeNotAMultipleOfTheRecordIsCorruption) {
  testing::TempDir dir;
  write_file(dir.file("batch.bin"), cifar_bytes(random_pixels({2, 3, 32, 32}, 6), torch::tensor({1, 2})) + "xy");
  expect_error([&] { read_cifar({dir.file("batch.bin")}, 10, "cifar10"); }, ErrorKind::kCorruption,
               {dir.file("batch.bin"), "6148 bytes", "3073-byte"});
  // A CIFAR-10 file read as CIFAR-100: records are one byte longer.
  write_file(dir.file("batch.bin"), cifar_bytes(random_pixels({2, 3, 32, 32}, 6), torch::tensor({1, 2})));
  expect_error([&] { read_cifar({dir.file("batch.bin")}, 100, "cifar100"); }, ErrorKind::kCorruption,
               {dir.file("batch.bin"), "3074-byte"});
}

TEST(CifarReader, LabelOutOfRangeIsCorruption) {
  testing::TempDir dir;
  write_file(dir.file("batch.bin"), cifar_bytes(random_pixels({3, 3, 32, 32}, 7), torch::tensor({1, 10, 2})));
  expect_error([&] { read_cifar({dir.file("batch.bin")}, 10, "cifar10"); }, ErrorKind::kCorruption,
               {dir.file("batch.bin"), "label 10", "record 1", "[0, 10)"});
}

TEST(CifarReader, MissingFileIsNotFound) {
  testing::TempDir dir;
  expect_error([&] { read_cifar({dir.file("none.bin")}, 10, "cifar10"); }, ErrorKind::kNotFound,
               {dir.file("none.bin") + ": no such file"});
}

TEST(CifarReader, RejectsOtherClassCounts) {
  expect_error([&] { read_cifar({"x.bin"}, 20, "cifar20"); }, ErrorKind::kInvalidArgument, {"num_classes 20"});
}

}  // namespace mipp::data
