// Writers for small dataset files in the formats the readers take, so reader tests need no
// download: IDX (MNIST, Fashion-MNIST) and CIFAR binary batches, plain or gzip.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::testing {

// uint8 pixels [shape] drawn from `seed`, covering the full 0..255 range.
at::Tensor random_pixels(const std::vector<int64_t>& shape, uint64_t seed);

// The bytes of an IDX image file: images uint8 [N, rows, cols] or [N, 1, rows, cols].
std::string idx_images_bytes(const at::Tensor& images);
// The bytes of an IDX label file: labels [N], any integer dtype, values in 0..255.
std::string idx_labels_bytes(const at::Tensor& labels);
// The bytes of a CIFAR batch: images uint8 [N, 3, 32, 32], labels [N]. With `coarse_labels`
// defined, CIFAR-100 records (coarse label, then fine label `labels`).
std::string cifar_bytes(const at::Tensor& images, const at::Tensor& labels, const at::Tensor& coarse_labels = {});

// Writes `bytes` to `path`, gzip-compressed (zlib's gzwrite) when `gzip`. Throws std::runtime_error.
void write_file(const std::string& path, const std::string& bytes, bool gzip = false);

}  // namespace mipp::testing
