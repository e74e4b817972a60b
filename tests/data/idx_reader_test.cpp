#include <gtest/gtest.h>
#include <torch/torch.h>

#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "data/file_bytes.h"
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

// `bytes` as one gzip member (deflate with a gzip wrapper: windowBits 15 + 16).
std::string gzip_member(const std::string& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A gzip file that inflates to `header` followed by `mib` MiB of zeros: gzip members concatenated
// (zlib reads them as one stream), each 1 MiB of zeros in about 1 KB, so the file stays small.
void write_gzip_bomb(const std::string& path, const std::string& header, int mib) {
  const std::string zeros(1 << 20, '\0');
  const std::string member = gzip_member(zeros);
  std::ofstream out(path, std::ios::binary);
  out << gzip_member(header);
  for (int i = 0; i < mib; ++i) out << member;
}

// An IDX header: magic and big-endian dimensions.
std::string idx_header(uint32_t magic, const std::vector<uint32_t>& dims) {
  std::string h;
  auto put = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  return h;
}

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

// A small gzip file whose data inflates far past what its header declares is refused as soon as the
// data passes the declared size: it used to be inflated whole first (5 GB of zeros behind a valid
// header: 8.6 GB of memory and 67 s, or std::bad_alloc under a memory cap).
TEST_F(IdxReaderTest, GzipInflatingPastTheHeaderSizeStopsThere) {
  write_gzip_bomb(images_path(), idx_header(0x00000803, {1, 28, 28}), 256);
  write_file(labels_path(), idx_labels_bytes(torch::tensor({1})));
  ASSERT_LT(std::filesystem::file_size(images_path()), 1u << 20);  // 256 MiB of zeros in under 1 MiB
  const auto start = std::chrono::steady_clock::now();
  expect_error([&] { read_idx(images_path(), labels_path(), "bomb"); }, ErrorKind::kCorruption,
               {images_path(), "1 images of 28x28", "800 bytes", "inflates to more than 800 bytes"});
  // Inflating all 256 MiB takes about a second; stopping at 801 bytes takes milliseconds.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);

  write_file(images_path(), idx_images_bytes(torch::zeros({1, 28, 28}, torch::kUInt8)), true);
  write_gzip_bomb(labels_path(), idx_header(0x00000801, {1}), 16);
  expect_error([&] { read_idx(images_path(), labels_path(), "bomb"); }, ErrorKind::kCorruption,
               {labels_path(), "1 labels", "inflates to more than 9 bytes"});
}

// A header that declares more data than the machine could hold once decoded is refused before any
// data is read, gzip or not: nothing is allocated for it.
TEST_F(IdxReaderTest, HeaderSizeBeyondMemoryIsRefusedBeforeReading) {
  // 4294967295 images of 28x28: 3.4 TB of pixels, 17 TB as float32.
  write_gzip_bomb(images_path(), idx_header(0x00000803, {0xffffffffu, 28, 28}), 4);
  write_file(labels_path(), idx_labels_bytes(torch::tensor({1})));
  expect_error([&] { read_idx(images_path(), labels_path(), "huge"); }, ErrorKind::kCorruption,
               {images_path(), "4294967295 images of 28x28", "this machine has"});
  // One image alone would not fit, even in a file of 0 images (which reads no pixels): found by
  // fuzzing, this was a c10::Error "Stride calculation overflowed", an internal error in the CLI.
  for (uint32_t n : {0u, 0xffffffffu}) {
    write_file(images_path(), idx_header(0x00000803, {n, 0xffffffffu, 0xffffffffu}));
    expect_error([&] { read_idx(images_path(), labels_path(), "huge"); }, ErrorKind::kCorruption,
                 {images_path(), "images of 4294967295x4294967295 pixels", "memory"});
  }
  // Labels: 4294967295 labels are 4 GB, 39 GB decoded to int64.
  write_file(images_path(), idx_images_bytes(torch::zeros({1, 28, 28}, torch::kUInt8)));
  write_file(labels_path(), idx_header(0x00000801, {0xffffffffu}) + "x");
  if (38654705655ull > physical_memory_bytes()) {
    expect_error([&] { read_idx(images_path(), labels_path(), "huge"); }, ErrorKind::kCorruption,
                 {labels_path(), "4294967295 labels", "this machine has"});
  }
}

// A plain file longer than its header declares is measured, not read, before it is refused.
TEST_F(IdxReaderTest, PlainFileLongerThanHeaderNamesBothSizes) {
  write_file(images_path(), idx_header(0x00000803, {1, 28, 28}) + std::string(1 << 20, '\0'));
  write_file(labels_path(), idx_labels_bytes(torch::tensor({1})));
  expect_error([&] { read_idx(images_path(), labels_path(), "long"); }, ErrorKind::kCorruption,
               {images_path(), "800 bytes with the header", "file has 1048592 bytes"});
}

TEST_F(IdxReaderTest, MissingFileIsNotFound) {
  write(false);
  const std::string missing = dir_.file("nope.idx");
  expect_error([&] { read_idx(missing, labels_path(), "tiny"); }, ErrorKind::kNotFound,
               {missing + ": no such file"});
}

}  // namespace mipp::data
