// Dataset readers: IDX (MNIST, Fashion-MNIST; plain or gzip), CIFAR-10/100 binary, image folders, and the
// dataset registry behind --dataset NAME [--data DIR].
//
// Readers check magic numbers, dimensions, file sizes and label ranges, and throw
// Error(kNotFound) for a missing file or Error(kCorruption) naming the file and what is wrong.
// Images come back as float32 in [0, 1]: IDX [N, 1, 28, 28], CIFAR [N, 3, 32, 32], image folders
// [N, C, H, W] as asked.
#pragma once

#include <string>
#include <vector>

#include "mipp/data/dataset.h"

namespace mipp::data {

// Reads an IDX image file (magic 0x00000803) and label file (0x00000801); either may end in .gz.
Dataset read_idx(const std::string& images_path, const std::string& labels_path, const std::string& name,
                 int64_t num_classes = 10);

// Reads CIFAR binary batch files: records of <label byte> <3072 pixel bytes> for CIFAR-10, or
// <coarse label> <fine label> <3072 bytes> for CIFAR-100 (fine labels are used).
Dataset read_cifar(const std::vector<std::string>& files, int64_t num_classes, const std::string& name);

// Images as users keep them, a folder per class:
//   DIR/train/CLASS/*.png|*.jpg|*.jpeg   and   DIR/test/CLASS/...  (or DIR/val/CLASS/...)
// Classes are the train folder's subfolders in sorted name order (label 0 = the first); a test
// class folder must be one of them. Files within a class are taken in sorted name order; hidden
// files and other extensions are skipped. Every image is decoded (PNG or JPEG, told by its bytes)
// to `shape` = [C, H, W]: C = 1 (grey) or 3 (RGB), resized to H x W with antialiased bilinear
// interpolation when its size differs, scaled to [0, 1].
// Residence: kMemory decodes everything now; kStream keeps only the file list and decodes each
// batch when it is read (data/sample_source.h); kAuto streams when the decoded images would take
// more than a quarter of the memory available.
// Throws Error(kNotFound) for a missing folder, Error(kInvalidArgument) for a layout that is not
// the above (naming the folder), and the decoder's errors naming the image file.
struct ImageFolderOptions {
  enum class Residence { kAuto, kMemory, kStream };
  std::vector<int64_t> shape;  // [C, H, W]
  bool with_train = true;      // false: only the test folder is read (labels still follow the train classes)
  Residence residence = Residence::kAuto;
};
DatasetSplits read_image_folder(const std::string& dir, const ImageFolderOptions& options);

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDebianDir = "/usr/share/datasets/fashion-mnist";

// Known names: "fashion-mnist" (dir defaults to the Debian package's), "mnist", "cifar10",
// "cifar100", "image-folder" (dir required; `image_shape` [C, H, W] required for image-folder, unused by
// the others). In `dir`: IDX files named train-images-idx3-ubyte[.gz] etc.;
// CIFAR-10 data_batch_1..5.bin and test_batch.bin; CIFAR-100 train.bin and test.bin (also
// accepted inside the archives' cifar-10-batches-bin / cifar-100-binary subfolders).
// Without `with_train` only the test files are read (and need to exist); `train` stays empty.
DatasetSplits load_dataset(const std::string& name, const std::string& dir = "", bool with_train = true,
                           const std::vector<int64_t>& image_shape = {});

std::vector<std::string> dataset_names();

}  // namespace mipp::data
