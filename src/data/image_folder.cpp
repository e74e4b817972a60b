// The image-folder dataset (readers.h): a file list per split, decoded into memory at once or per
// batch through a SampleSource.
#include <ATen/core/Tensor.h>
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/_upsample_bilinear2d_aa.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/tensor.h>

#include <algorithm>
#include <filesystem>
#include <fmt/ranges.h>

#include "data/image_decode.h"
#include "mipp/data/readers.h"
#include "mipp/util/error.h"
#include "mipp/util/memory.h"

namespace mipp::data {

namespace {

namespace fs = std::filesystem;

constexpr const char* kName = "image-folder";

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

bool hidden(const fs::path& p) { return p.filename().string().front() == '.'; }

// The non-hidden subfolders of `dir`, sorted by name.
std::vector<fs::path> subfolders(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && !hidden(e.path())) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct FileList {
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
};

// The images of `split` (DIR/train, DIR/test), labelled by their class folder's index in `classes`.
FileList list_images(const fs::path& split, const std::vector<std::string>& classes) {
  FileList list;
  for (const fs::path& folder : subfolders(split)) {
    const std::string name = folder.filename().string();
    const auto it = std::find(classes.begin(), classes.end(), name);
    MIPP_CHECK(it != classes.end(), kInvalidArgument, "{}: class {} has no folder under the training images ({})",
               folder.string(), name, fmt::join(classes, ", "));
    std::vector<std::string> files;
    for (const fs::directory_entry& e : fs::directory_iterator(folder)) {
      if (e.is_regular_file() && !hidden(e.path()) && is_image_name(e.path())) files.push_back(e.path().string());
    }
    MIPP_CHECK(!files.empty(), kInvalidArgument, "{}: no .png, .jpg or .jpeg images in this class folder",
               folder.string());
    std::sort(files.begin(), files.end());
    for (std::string& f : files) {
      list.paths.push_back(std::move(f));
      list.labels.push_back(it - classes.begin());
    }
  }
  MIPP_CHECK(!list.paths.empty(), kInvalidArgument, "{}: no class folders with images (expected {}/CLASS/*.png)",
             split.string(), split.string());
  return list;
}

// One image file decoded to [C, H, W] float32 in [0, 1].
at::Tensor load_image(const std::string& path, const std::vector<int64_t>& shape) {
  DecodedImage image = decode_image(path, shape[0]);
  at::Tensor x = at::from_blob(image.pixels.data(), {image.height, image.width, image.channels}, at::kByte)
                     .permute({2, 0, 1})
                     .to(at::kFloat)
                     .div_(255);
  if (image.height != shape[1] || image.width != shape[2]) {
    // Antialiased, so a large photo shrunk to a network's input keeps its detail rather than aliasing.
    x = at::_upsample_bilinear2d_aa(x.unsqueeze(0), {shape[1], shape[2]}, /*align_corners=*/false)
            .squeeze(0)
            .clamp_(0, 1);
  }
  return x;
}

class ImageFiles : public SampleSource {
 public:
  ImageFiles(std::vector<std::string> paths, std::vector<int64_t> shape)
      : paths_(std::move(paths)), shape_(std::move(shape)) {}
  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  std::vector<int64_t> sample_shape() const override { return shape_; }
  at::Tensor read(const at::Tensor& rows) const override {
    const at::Tensor r = rows.to(at::kLong).contiguous();
    const int64_t* row = r.data_ptr<int64_t>();
    std::vector<int64_t> batch_shape = shape_;
    batch_shape.insert(batch_shape.begin(), r.numel());
    at::Tensor out = at::empty(batch_shape, at::kFloat);
    // Decoding dominates; LibTorch's threads take the images in parallel, each into its own slot.
    at::parallel_for(0, r.numel(), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[i].copy_(load_image(paths_.at(row[i]), shape_));
    });
    return out;
  }

 private:
  std::vector<std::string> paths_;
  std::vector<int64_t> shape_;
};

Dataset make_dataset(FileList list, const std::vector<int64_t>& shape, int64_t classes, bool stream) {
  Dataset d;
  d.name = kName;
  d.num_classes = classes;
  d.labels = at::tensor(list.labels, at::kLong);
  auto source = std::make_shared<ImageFiles>(std::move(list.paths), shape);
  const at::Tensor all = at::arange(source->size(), at::kLong);
  if (!stream) {
    util::check_memory(util::saturating_product({source->size(), shape[0], shape[1], shape[2], int64_t{sizeof(float)}}),
                       fmt::format("{} images of [{}] decoded into memory", source->size(), fmt::join(shape, ", ")));
    d.inputs = source->read(all);
    return d;
  }
  auto streamed = std::make_shared<StreamedInputs>();
  streamed->source = source;
  streamed->rows = all;
  streamed->shape = shape;
  d.streamed = std::move(streamed);
  return d;
}

}  // namespace

DatasetSplits read_image_folder(const std::string& dir, const ImageFolderOptions& options) {
  const std::vector<int64_t>& shape = options.shape;
  MIPP_CHECK(shape.size() == 3 && (shape[0] == 1 || shape[0] == 3) && shape[1] > 0 && shape[2] > 0, kInvalidArgument,
             "image-folder: images decode to [C, H, W] with C 1 or 3 and H, W positive; got [{}]", fmt::join(shape, ", "));
  std::error_code ec;
  MIPP_CHECK(fs::is_directory(dir, ec), kNotFound, "{}: no such folder for dataset image-folder", dir);
  const fs::path root(dir), train = root / "train";
  const fs::path test = fs::is_directory(root / "test", ec) ? root / "test" : root / "val";
  MIPP_CHECK(fs::is_directory(train, ec) && fs::is_directory(test, ec), kInvalidArgument,
             "{}: an image folder holds train/CLASS/*.png and test/CLASS/*.png (or val/CLASS/...); {} is missing", dir,
             fs::is_directory(train, ec) ? "test (or val)" : "train");
  std::vector<std::string> classes;
  for (const fs::path& p : subfolders(train)) classes.push_back(p.filename().string());
  MIPP_CHECK(!classes.empty(), kInvalidArgument, "{}: no class folders (expected {}/CLASS/*.png)", train.string(),
             train.string());

  FileList train_list, test_list = list_images(test, classes);
  if (options.with_train) train_list = list_images(train, classes);
  bool stream = options.residence == ImageFolderOptions::Residence::kStream;
  if (options.residence == ImageFolderOptions::Residence::kAuto) {
    const int64_t images = static_cast<int64_t>(train_list.paths.size() + test_list.paths.size());
    const int64_t bytes = util::saturating_product({images, shape[0], shape[1], shape[2], int64_t{sizeof(float)}});
    stream = bytes > util::available_memory_bytes() / 4;
  }
  const auto count = static_cast<int64_t>(classes.size());
  DatasetSplits s;
  if (options.with_train) s.train = make_dataset(std::move(train_list), shape, count, stream);
  s.test = make_dataset(std::move(test_list), shape, count, stream);
  return s;
}

}  // namespace mipp::data
