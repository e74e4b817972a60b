// Dataset readers: IDX (MNIST, Fashion-MNIST; plain or gzip), CIFAR-10/100 binary, and the
// dataset registry behind --dataset NAME [--data DIR].
//
// Readers check magic numbers, dimensions, file sizes and label ranges, and throw
// Error(kNotFound) for a missing file or Error(kCorruption) naming the file and what is wrong.
// Images come back as float32 in [0, 1]: IDX [N, 1, 28, 28], CIFAR [N, 3, 32, 32].
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

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDebianDir = "/usr/share/datasets/fashion-mnist";

// Known names: "fashion-mnist" (dir defaults to the Debian package's), "mnist", "cifar10",
// "cifar100" (dir required). In `dir`: IDX files named train-images-idx3-ubyte[.gz] etc.;
// CIFAR-10 data_batch_1..5.bin and test_batch.bin; CIFAR-100 train.bin and test.bin (also
// accepted inside the archives' cifar-10-batches-bin / cifar-100-binary subfolders).
// Without `with_train` only the test files are read (and need to exist); `train` stays empty.
DatasetSplits load_dataset(const std::string& name, const std::string& dir = "", bool with_train = true);

std::vector<std::string> dataset_names();

}  // namespace mipp::data
