#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "support/expect_error.h"
#include "mipp/data/readers.h"
#include "support/dataset_files.h"
#include "support/temp_dir.h"

namespace mipp::data {

namespace {

using testing::expect_error;
using testing::idx_images_bytes;
using testing::idx_labels_bytes;
using testing::write_file;

class IdxReaderTest : public ::testing::Test {
 protected:
  // Five 4x3 images with labels (3, 0, 9, 1, 4), written as images.idx and labels.idx (optionally gzip).
  void write(bool gzip) {
    write_file(images_path(), idx_images_bytes(pixels_), gzip);
    write_file(labels_path(), idx_labels_bytes(labels_), gzip);
  }
  std::string images_path() const { return dir_.file("images.idx"); }
  std::string labels_path() const { return dir_.file("labels.idx"); }

  testing::TempDir dir_;
  const at::Tensor pixels_ = testing::random_pixels({5, 4, 3}, 1);
  const at::Tensor labels_ = torch::tensor({3, 0, 9, 1, 4}, torch::kInt64);
};

}  // namespace

TEST_F(IdxReaderTest, ReadsPixelsScaledToUnitRangeAndLabels) {
  write(false);
  const Dataset d = read_idx(images_path(), labels_path(), "tiny");
  EXPECT_EQ(d.name, "tiny");
  EXPECT_EQ(d.num_classes, 10);
  ASSERT_EQ(d.inputs.sizes(), (std::vector<int64_t>{5, 1, 4, 3}));
  EXPECT_EQ(d.inputs.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::allclose(d.inputs, pixels_.unsqueeze(1).to(torch::kFloat32) / 255.0));
  EXPECT_TRUE(torch::equal(d.labels, labels_));
  EXPECT_EQ(d.labels.scalar_type(), torch::kInt64);
}

TEST_F(IdxReaderTest, ReadsGzipFilesTheSame) {
  write(false);
  const Dataset plain = read_idx(images_path(), labels_path(), "tiny");
  write(true);
  const Dataset gz = read_idx(images_path(), labels_path(), "tiny");
  EXPECT_TRUE(torch::equal(plain.inputs, gz.inputs));
  EXPECT_TRUE(torch::equal(plain.labels, gz.labels));
}

TEST_F(IdxReaderTest, PixelValuesAreExact) {
  // 0 -> 0, 255 -> 1, 51 -> 0.2: the scaling is a plain division.
  write_file(images_path(), idx_images_bytes(torch::tensor({0, 255, 51, 128}, torch::kUInt8).view({1, 2, 2})));
  write_file(labels_path(), idx_labels_bytes(torch::tensor({7})));
  const Dataset d = read_idx(images_path(), labels_path(), "tiny");
  EXPECT_FLOAT_EQ(d.inputs[0][0][0][0].item<float>(), 0.f);
  EXPECT_FLOAT_EQ(d.inputs[0][0][0][1].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(d.inputs[0][0][1][0].item<float>(), 0.2f);
  EXPECT_FLOAT_EQ(d.inputs[0][0][1][1].item<float>(), 128.f / 255.f);
  EXPECT_EQ(d.labels[0].item<int64_t>(), 7);
}

TEST_F(IdxReaderTest, WrongMagicIsCorruption) {
  write(false);
  // A label file where an image file belongs.
  expect_error([&] { read_idx(labels_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption,
               {labels_path(), "0x00000801", "0x00000803"});
  expect_error([&] { read_idx(images_path(), images_path(), "tiny"); }, ErrorKind::kCorruption,
               {images_path(), "0x00000803", "0x00000801"});
}

TEST_F(IdxReaderTest, TruncatedImageFileNamesExpectedAndFoundSizes) {
  write(false);
  std::filesystem::resize_file(images_path(), 16 + 5 * 12 - 7);
  expect_error([&] { read_idx(images_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption,
               {images_path(), "76 bytes", "file has 69"});
}

TEST_F(IdxReaderTest, OversizedLabelFileIsCorruption) {
  write_file(images_path(), idx_images_bytes(pixels_));
  write_file(labels_path(), idx_labels_bytes(labels_) + "x");
  expect_error([&] { read_idx(images_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption,
               {labels_path(), "13 bytes", "file has 14"});
}

TEST_F(IdxReaderTest, TruncatedGzipIsCorruption) {
  write(true);
  std::filesystem::resize_file(images_path(), std::filesystem::file_size(images_path()) - 10);
  expect_error([&] { read_idx(images_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption, {images_path()});
}

TEST_F(IdxReaderTest, TooShortForHeaderIsCorruption) {
  write_file(images_path(), idx_images_bytes(pixels_).substr(0, 10));
  write_file(labels_path(), idx_labels_bytes(labels_));
  expect_error([&] { read_idx(images_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption,
               {images_path(), "10 bytes", "header (16 bytes)"});
  write_file(images_path(), "ab");
  expect_error([&] { read_idx(images_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption,
               {images_path(), "magic number"});
}

TEST_F(IdxReaderTest, CountMismatchNamesBothFiles) {
  write_file(images_path(), idx_images_bytes(pixels_));
  write_file(labels_path(), idx_labels_bytes(labels_.narrow(0, 0, 4)));
  expect_error([&] { read_idx(images_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption,
               {images_path(), labels_path(), "5 images", "4 labels"});
}

TEST_F(IdxReaderTest, LabelOutOfRangeNamesIndexAndValue) {
  write_file(images_path(), idx_images_bytes(pixels_));
  write_file(labels_path(), idx_labels_bytes(torch::tensor({1, 2, 12, 3, 0})));
  expect_error([&] { read_idx(images_path(), labels_path(), "tiny"); }, ErrorKind::kCorruption,
               {labels_path(), "label 12", "index 2", "[0, 10)"});
  // The same file is fine with more classes.
  EXPECT_EQ(read_idx(images_path(), labels_path(), "tiny", 13).num_classes, 13);
}

TEST_F(IdxReaderTest, MissingFileIsNotFound) {
  write(false);
  const std::string missing = dir_.file("nope.idx");
  expect_error([&] { read_idx(missing, labels_path(), "tiny"); }, ErrorKind::kNotFound,
               {missing + ": no such file"});
}

}  // namespace mipp::data
