// The image-folder dataset on PNG and JPEG files the tests write with libpng and libjpeg: layout,
// labels, decoding, resizing, errors naming the file, and streamed data giving the same batches,
// transforms and training as data held in memory.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
#include <png.h>
// clang-format on

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "mipp/data/readers.h"
#include "mipp/data/transforms.h"
#include "mipp/models/zoo.h"
#include "mipp/pipeline/prepare_data.h"
#include "mipp/train/trainer.h"
#include "support/expect_error.h"
#include "support/temp_dir.h"

namespace mipp::data {

namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using Residence = ImageFolderOptions::Residence;

// An RGB image of `h` x `w` whose pixel (y, x) has channel values (r + y, g + x, b).
std::vector<uint8_t> gradient_pixels(int h, int w, int r, int g, int b) {
  std::vector<uint8_t> p;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      p.push_back(static_cast<uint8_t>(r + y));
      p.push_back(static_cast<uint8_t>(g + x));
      p.push_back(static_cast<uint8_t>(b));
    }
  }
  return p;
}

void write_png(const std::string& path, int h, int w, const std::vector<uint8_t>& rgb) {
  fs::create_directories(fs::path(path).parent_path());
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = PNG_FORMAT_RGB;
  ASSERT_NE(png_image_write_to_file(&image, path.c_str(), 0, rgb.data(), 0, nullptr), 0) << image.message;
}

void write_jpeg(const std::string& path, int h, int w, const std::vector<uint8_t>& rgb) {
  fs::create_directories(fs::path(path).parent_path());
  jpeg_compress_struct info;
  jpeg_error_mgr errors;
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  jpeg_stdio_dest(&info, f);
  info.image_width = w;
  info.image_height = h;
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(rgb.data()) + static_cast<size_t>(info.next_scanline) * w * 3;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(f);
}

// dir/train/{cat,dog}: 3 cats (PNG), 2 dogs (JPEG); dir/test/{cat,dog}: 1 each. All 6x5 gradients
// with a per-image base colour, so every sample differs.
void write_pets(const std::string& dir) {
  for (int i = 0; i < 3; ++i) {
    write_png(dir + "/train/cat/" + std::to_string(i) + ".png", 6, 5, gradient_pixels(6, 5, 10 * i, 40, 200));
  }
  for (int i = 0; i < 2; ++i) {
    write_jpeg(dir + "/train/dog/d" + std::to_string(i) + ".JPG", 6, 5, gradient_pixels(6, 5, 100 + 10 * i, 60, 20));
  }
  write_png(dir + "/test/cat/x.png", 6, 5, gradient_pixels(6, 5, 50, 40, 200));
  write_jpeg(dir + "/test/dog/y.jpeg", 6, 5, gradient_pixels(6, 5, 150, 60, 20));
  std::ofstream(dir + "/train/cat/notes.txt") << "not an image";  // skipped: other extension
  std::ofstream(dir + "/train/cat/.hidden.png") << "skipped";     // skipped: hidden
}

DatasetSplits read(const std::string& dir, std::vector<int64_t> shape, Residence residence) {
  ImageFolderOptions o;
  o.shape = std::move(shape);
  o.residence = residence;
  return read_image_folder(dir, o);
}

}  // namespace

TEST(ImageFolder, ReadsPngAndJpegWithLabelsFromSortedClassFolders) {
  testing::TempDir dir;
  write_pets(dir.path());
  const DatasetSplits s = read(dir.path(), {3, 6, 5}, Residence::kMemory);
  EXPECT_EQ(s.train.name, "image-folder");
  EXPECT_EQ(s.train.num_classes, 2);
  EXPECT_EQ(s.train.sample_shape(), (std::vector<int64_t>{3, 6, 5}));
  EXPECT_TRUE(torch::equal(s.train.labels, torch::tensor({0, 0, 0, 1, 1}, torch::kLong)));
  EXPECT_TRUE(torch::equal(s.test.labels, torch::tensor({0, 1}, torch::kLong)));
  // PNG is lossless: sample 1 (cat 1.png) at (y=2, x=3) is (10 + 2, 40 + 3, 200) / 255.
  const at::Tensor pixel = s.train.inputs[1].index({torch::indexing::Slice(), 2, 3});
  EXPECT_TRUE(torch::allclose(pixel, torch::tensor({12.f, 43.f, 200.f}) / 255));
  // JPEG at quality 100 is within a few levels of what was written.
  const at::Tensor dog = s.train.inputs[4].permute({1, 2, 0}).reshape({-1});
  const at::Tensor written = torch::tensor(gradient_pixels(6, 5, 110, 60, 20), torch::kFloat) / 255;
  EXPECT_LT((dog - written).abs().max().item<float>(), 4.f / 255);
}

TEST(ImageFolder, DecodesToGreyAndResizes) {
  testing::TempDir dir;
  write_pets(dir.path());
  const DatasetSplits grey = read(dir.path(), {1, 6, 5}, Residence::kMemory);
  const DatasetSplits rgb = read(dir.path(), {3, 6, 5}, Residence::kMemory);
  // libpng's grey is a weighted sum of the channels: between the smallest and largest of them.
  const at::Tensor g = grey.train.inputs.select(1, 0), lo = std::get<0>(rgb.train.inputs.min(1));
  const at::Tensor hi = std::get<0>(rgb.train.inputs.max(1));
  EXPECT_TRUE(((g >= lo - 1e-2) & (g <= hi + 1e-2)).all().item<bool>());
  // Halving a smooth gradient keeps its mean and range.
  const DatasetSplits small = read(dir.path(), {3, 3, 2}, Residence::kMemory);
  EXPECT_EQ(small.train.sample_shape(), (std::vector<int64_t>{3, 3, 2}));
  EXPECT_NEAR(small.train.inputs[0].mean().item<double>(), rgb.train.inputs[0].mean().item<double>(), 2e-3);
  EXPECT_GE(small.train.inputs.min().item<float>(), 0.f);
  EXPECT_LE(small.train.inputs.max().item<float>(), 1.f);
}

TEST(ImageFolder, StreamedDataGivesTheSameBatchesSubsetsAndTransforms) {
  testing::TempDir dir;
  write_pets(dir.path());
  const DatasetSplits memory = read(dir.path(), {3, 6, 5}, Residence::kMemory);
  const DatasetSplits streamed = read(dir.path(), {3, 6, 5}, Residence::kStream);
  ASSERT_TRUE(streamed.train.streamed != nullptr);
  EXPECT_FALSE(streamed.train.inputs.defined());
  EXPECT_EQ(streamed.train.size(), 5);
  const at::Tensor order = torch::tensor({4, 0, 2}, torch::kLong);
  EXPECT_TRUE(torch::equal(inputs_at(streamed.train, order), inputs_at(memory.train, order)));
  // Subsets and heads change the row map only; fitting and normalising apply per batch.
  const Normalization n = compute_normalization(memory.train);
  const Normalization ns = compute_normalization(streamed.train);
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(ns.mean[c], n.mean[c], 1e-6);
    EXPECT_NEAR(ns.std[c], n.std[c], 1e-6);
  }
  auto pipeline = [&](const Dataset& d) { return normalize(fit_to_shape(head(subset(d, order), 2), {3, 8, 7}), n); };
  const Dataset a = pipeline(memory.train), b = pipeline(streamed.train);
  EXPECT_TRUE(b.streamed != nullptr);
  EXPECT_EQ(b.sample_shape(), (std::vector<int64_t>{3, 8, 7}));
  EXPECT_TRUE(torch::allclose(inputs_range(b, 0, 2), a.inputs));
  EXPECT_TRUE(torch::equal(b.labels, a.labels));
  // A calibration subset is always in memory.
  const Dataset c = calibration_subset(streamed.train, 3, 7);
  EXPECT_TRUE(c.streamed == nullptr);
  EXPECT_TRUE(torch::equal(c.inputs, calibration_subset(memory.train, 3, 7).inputs));
}

TEST(ImageFolder, TrainingOnStreamedDataMatchesTrainingInMemory) {
  testing::TempDir dir;
  write_pets(dir.path());
  pipeline::DataOptions o;
  o.dataset = "image-folder";
  o.dir = dir.path();
  o.image_size = {6, 5};
  // An MLP's flat input of 90 = 3 * 6 * 5 features takes RGB images of 6x5.
  const pipeline::PreparedData p = pipeline::prepare_data(o, {90}, {});
  EXPECT_EQ(p.train.sample_shape(), (std::vector<int64_t>{90}));
  const DatasetSplits streamed = read(dir.path(), {3, 6, 5}, Residence::kStream);
  const Dataset s = normalize(fit_to_shape(streamed.train, {90}), p.normalization);
  ASSERT_TRUE(s.streamed != nullptr);
  models::ModelSpec spec;
  spec.name = "mlp";
  spec.input_shape = {90};
  spec.hidden = {16};
  spec.num_classes = 2;
  io::Model a{models::build_model(spec), {"mlp"}, {}}, b{models::build_model(spec), {"mlp"}, {}};
  train::TrainOptions t;
  t.epochs = 2;
  t.batch_size = 2;
  t.seed = 5;
  train::train(a, p.train, nullptr, t, util::null_sink());
  train::train(b, s, nullptr, t, util::null_sink());
  const auto pa = a.network.named_parameters(), pb = b.network.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::allclose(pa[i].second, pb[i].second)) << pa[i].first;
}

TEST(ImageFolder, ErrorsNameTheFolderOrFile) {
  testing::TempDir dir;
  write_pets(dir.path());
  expect_error([&] { read(dir.file("absent"), {3, 6, 5}, Residence::kAuto); }, ErrorKind::kNotFound, {"absent"});
  expect_error([&] { read(dir.path(), {2, 6, 5}, Residence::kAuto); }, ErrorKind::kInvalidArgument, {"C 1 or 3"});
  fs::create_directories(dir.file("test/bird"));
  write_png(dir.file("test/bird/b.png"), 2, 2, gradient_pixels(2, 2, 0, 0, 0));
  expect_error([&] { read(dir.path(), {3, 6, 5}, Residence::kAuto); }, ErrorKind::kInvalidArgument,
               {"test/bird", "class bird has no folder under the training images"});
  fs::remove_all(dir.file("test/bird"));
  fs::create_directories(dir.file("train/empty"));
  expect_error([&] { read(dir.path(), {3, 6, 5}, Residence::kAuto); }, ErrorKind::kInvalidArgument,
               {"train/empty", "no .png, .jpg or .jpeg images"});
  fs::remove_all(dir.file("train/empty"));

  // Damaged files: a truncated PNG and JPEG (in memory: read at once), a text file named .png.
  for (const char* name : {"train/cat/1.png", "train/dog/d0.JPG"}) {
    const std::string path = dir.file(name);
    const auto size = fs::file_size(path);
    fs::resize_file(path, size / 2);
    expect_error([&] { read(dir.path(), {3, 6, 5}, Residence::kMemory); }, ErrorKind::kCorruption,
                 {path, "not a readable"});
    fs::remove(path);
  }
  std::ofstream(dir.file("train/cat/fake.png")) << "plain text";
  expect_error([&] { read(dir.path(), {3, 6, 5}, Residence::kMemory); }, ErrorKind::kNotSupported,
               {dir.file("train/cat/fake.png"), "neither a PNG nor a JPEG"});
  // Streamed: the listing succeeds and the bad file is named when a batch reaches it.
  const DatasetSplits s = read(dir.path(), {3, 6, 5}, Residence::kStream);
  expect_error([&] { inputs_range(s.train, 0, s.train.size()); }, ErrorKind::kNotSupported, {"fake.png"});

  fs::remove_all(dir.file("test"));
  expect_error([&] { read(dir.path(), {3, 6, 5}, Residence::kAuto); }, ErrorKind::kInvalidArgument,
               {"train/CLASS/*.png and test/CLASS/*.png", "test (or val) is missing"});
}

TEST(ImageFolder, ValFolderServesAsTheTestSplit) {
  testing::TempDir dir;
  write_pets(dir.path());
  fs::rename(dir.file("test"), dir.file("val"));
  EXPECT_EQ(read(dir.path(), {3, 6, 5}, Residence::kAuto).test.size(), 2);
}

}  // namespace mipp::data
