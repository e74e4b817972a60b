#include "support/dataset_files.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <zlib.h>

#include <fstream>
#include <stdexcept>

namespace mipp::testing {

namespace {

void append_big_endian_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string tensor_bytes(const at::Tensor& t) {
  const at::Tensor c = t.to(torch::kUInt8).contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), static_cast<size_t>(c.numel()));
}

}  // namespace

at::Tensor random_pixels(const std::vector<int64_t>& shape, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randint(0, 256, shape, gen, torch::kUInt8);
}

std::string idx_images_bytes(const at::Tensor& images) {
  const at::Tensor x = images.dim() == 4 ? images.squeeze(1) : images;  // [N, rows, cols]
  std::string out;
  append_big_endian_u32(out, 0x00000803);
  for (int64_t d = 0; d < 3; ++d) append_big_endian_u32(out, static_cast<uint32_t>(x.size(d)));
  return out + tensor_bytes(x);
}

std::string idx_labels_bytes(const at::Tensor& labels) {
  std::string out;
  append_big_endian_u32(out, 0x00000801);
  append_big_endian_u32(out, static_cast<uint32_t>(labels.size(0)));
  return out + tensor_bytes(labels);
}

std::string cifar_bytes(const at::Tensor& images, const at::Tensor& labels, const at::Tensor& coarse_labels) {
  // Records [N, label bytes + 3072]: label columns first, then the pixels in [3, 32, 32] order.
  std::vector<at::Tensor> columns;
  if (coarse_labels.defined()) columns.push_back(coarse_labels.to(torch::kUInt8).view({-1, 1}));
  columns.push_back(labels.to(torch::kUInt8).view({-1, 1}));
  columns.push_back(images.to(torch::kUInt8).reshape({images.size(0), -1}));
  return tensor_bytes(torch::cat(columns, 1));
}

void write_file(const std::string& path, const std::string& bytes, bool gzip) {
  if (!gzip) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.good()) throw std::runtime_error("cannot write " + path);
    return;
  }
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot open " + path);
  const int written = bytes.empty() ? 0 : gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  if (gzclose(file) != Z_OK || written != static_cast<int>(bytes.size())) {
    throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace mipp::testing
