// The datasets behind --dataset NAME [--data DIR]: one explicit table from name to loader, in the
// order `dataset_names()` lists them.
#include <filesystem>
#include <fmt/ranges.h>

#include "mipp/data/readers.h"
#include "mipp/util/error.h"

namespace mipp::data {

namespace {

namespace fs = std::filesystem;

// What a missing file's error adds, so the user learns how to get the data.
std::string missing_hint(const std::string& name) {
  return name == "fashion-mnist" ? " (install Debian's dataset-fashion-mnist or pass --data DIR)" : "";
}

std::string require_dir(const std::string& name, const std::string& dir) {
  MIPP_CHECK(!dir.empty(), kInvalidArgument, "--data DIR is required for {}", name);
  std::error_code ec;
  MIPP_CHECK(fs::is_directory(dir, ec), kNotFound, "{}: no such folder for dataset {}{}", dir, name,
             missing_hint(name));
  return dir;
}

// `dir`/`file`, or its gzip version `file`.gz when `gzip_allowed` (preferred: Debian ships those).
std::string find_file(const std::string& name, const fs::path& dir, const std::string& file, bool gzip_allowed) {
  std::error_code ec;
  const fs::path plain = dir / file;
  const fs::path gzip = dir / (file + ".gz");
  if (gzip_allowed && fs::is_regular_file(gzip, ec)) return gzip.string();
  MIPP_CHECK(fs::is_regular_file(plain, ec), kNotFound, "{}{}: no such file for dataset {}{}", plain.string(),
             gzip_allowed ? "[.gz]" : "", name, missing_hint(name));
  return plain.string();
}

// The archives unpack into a subfolder; accept DIR pointing at either level.
fs::path cifar_folder(const std::string& dir, const char* first_file, const char* subfolder) {
  std::error_code ec;
  const fs::path inner = fs::path(dir) / subfolder;
  if (!fs::exists(fs::path(dir) / first_file, ec) && fs::is_directory(inner, ec)) return inner;
  return dir;
}

DatasetSplits load_idx(const std::string& name, const std::string& dir, bool with_train) {
  const fs::path folder = require_dir(name, dir);
  auto file = [&](const char* base) { return find_file(name, folder, base, true); };
  DatasetSplits s;
  if (with_train) s.train = read_idx(file("train-images-idx3-ubyte"), file("train-labels-idx1-ubyte"), name, 10);
  s.test = read_idx(file("t10k-images-idx3-ubyte"), file("t10k-labels-idx1-ubyte"), name, 10);
  return s;
}

DatasetSplits load_fashion_mnist(const std::string& dir, bool with_train) {
  return load_idx("fashion-mnist", dir.empty() ? kFashionMnistDebianDir : dir, with_train);
}

DatasetSplits load_mnist(const std::string& dir, bool with_train) { return load_idx("mnist", dir, with_train); }

DatasetSplits load_cifar10(const std::string& dir, bool with_train) {
  const std::string name = "cifar10";
  const fs::path folder = cifar_folder(require_dir(name, dir), "data_batch_1.bin", "cifar-10-batches-bin");
  DatasetSplits s;
  if (with_train) {
    std::vector<std::string> train_files;
    for (int i = 1; i <= 5; ++i) {
      train_files.push_back(find_file(name, folder, fmt::format("data_batch_{}.bin", i), false));
    }
    s.train = read_cifar(train_files, 10, name);
  }
  s.test = read_cifar({find_file(name, folder, "test_batch.bin", false)}, 10, name);
  return s;
}

DatasetSplits load_cifar100(const std::string& dir, bool with_train) {
  const std::string name = "cifar100";
  const fs::path folder = cifar_folder(require_dir(name, dir), "train.bin", "cifar-100-binary");
  DatasetSplits s;
  if (with_train) s.train = read_cifar({find_file(name, folder, "train.bin", false)}, 100, name);
  s.test = read_cifar({find_file(name, folder, "test.bin", false)}, 100, name);
  return s;
}

DatasetSplits load_image_folder(const std::string& dir, bool with_train, const std::vector<int64_t>& image_shape) {
  ImageFolderOptions options;
  options.shape = image_shape;
  options.with_train = with_train;
  return read_image_folder(require_dir("image-folder", dir), options);
}

// Adapters for the loaders that know their image shape.
template <DatasetSplits (*load)(const std::string&, bool)>
DatasetSplits fixed_shape(const std::string& dir, bool with_train, const std::vector<int64_t>& /*image_shape*/) {
  return load(dir, with_train);
}

struct DatasetEntry {
  const char* name;
  DatasetSplits (*load)(const std::string& dir, bool with_train, const std::vector<int64_t>& image_shape);
};

constexpr DatasetEntry kDatasets[] = {
    {"fashion-mnist", fixed_shape<load_fashion_mnist>},
    {"mnist", fixed_shape<load_mnist>},
    {"cifar10", fixed_shape<load_cifar10>},
    {"cifar100", fixed_shape<load_cifar100>},
    {"image-folder", load_image_folder},
};

}  // namespace

DatasetSplits load_dataset(const std::string& name, const std::string& dir, bool with_train,
                           const std::vector<int64_t>& image_shape) {
  for (const DatasetEntry& entry : kDatasets) {
    if (name == entry.name) return entry.load(dir, with_train, image_shape);
  }
  MIPP_FAIL(kNotFound, "dataset {}: unknown; known datasets: {}", name, fmt::join(dataset_names(), ", "));
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const DatasetEntry& entry : kDatasets) names.emplace_back(entry.name);
  return names;
}

}  // namespace mipp::data
