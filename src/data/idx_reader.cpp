// IDX files (LeCun's MNIST format, reused by Fashion-MNIST): a big-endian header
//   images: magic 0x00000803, N, rows, cols, then N*rows*cols unsigned bytes (row-major)
//   labels: magic 0x00000801, N, then N unsigned bytes
// http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE").
#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/from_blob.h>

#include "data/file_bytes.h"
#include "mipp/data/readers.h"
#include "mipp/util/error.h"

namespace mipp::data {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr size_t kImagesHeaderBytes = 16;
constexpr size_t kLabelsHeaderBytes = 8;

uint32_t read_big_endian_u32(const std::string& bytes, size_t offset) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return v;
}

// The file must start with `magic` and hold at least the header. The magic is checked first, so
// swapped image and label files are reported as such, not as short files.
void check_header(const std::string& path, const std::string& head, size_t header_bytes, uint32_t magic,
                  const char* what) {
  const uint32_t found = head.size() >= 4 ? read_big_endian_u32(head, 0) : 0;
  MIPP_CHECK(found == magic, kCorruption, "{}: magic number 0x{:08x}, expected 0x{:08x} (IDX {})", path, found, magic,
             what);
  MIPP_CHECK(head.size() >= header_bytes, kCorruption, "{}: {} bytes, too short for an IDX {} header ({} bytes)", path,
             head.size(), what, header_bytes);
}

// The whole file, once its header has said how long it is: `data_bytes` after the header, each
// decoded into `bytes_per_value` bytes. The size is checked against the machine's memory before
// anything is read, and the read stops past the declared size (file_bytes.h), so a lying header
// or a gzip bomb costs neither memory nor time. `layout` says what the header declares.
std::string read_declared(const std::string& path, uint64_t header_bytes, uint64_t data_bytes,
                          uint64_t bytes_per_value, const std::string& layout) {
  uint64_t needed = 0;
  const bool overflow = __builtin_mul_overflow(data_bytes, 1 + bytes_per_value, &needed);
  const uint64_t memory = physical_memory_bytes();
  MIPP_CHECK(!overflow && needed <= memory, kCorruption,
             "{}: header says {}, {} bytes in memory once decoded; this machine has {} bytes (a corrupt header?)",
             path, layout, overflow ? "more than 2^64" : std::to_string(needed), memory);
  const uint64_t expected = header_bytes + data_bytes;  // needed <= memory: cannot overflow
  const std::string description = fmt::format("header says {}, i.e. {} bytes with the header", layout, expected);
  std::string bytes = read_file_bytes(path, expected, description);
  MIPP_CHECK(bytes.size() == expected, kCorruption, "{}: {}; file has {}", path, description, bytes.size());
  return bytes;
}

// The unsigned bytes after the header as a `dtype` tensor of `shape`. REQUIRES: dtype != uint8, so
// the conversion copies and the result does not alias `bytes`.
at::Tensor bytes_to_tensor(const std::string& bytes, size_t offset, at::IntArrayRef shape, at::ScalarType dtype) {
  // from_blob only reads through the pointer.
  void* data = const_cast<char*>(bytes.data() + offset);
  return at::from_blob(data, shape, at::kByte).to(dtype);
}

// Pixels as float32 [N, 1, rows, cols] in [0, 1].
at::Tensor read_images(const std::string& path) {
  const std::string head = read_file_head(path, kImagesHeaderBytes);
  check_header(path, head, kImagesHeaderBytes, kImagesMagic, "images");
  const uint64_t n = read_big_endian_u32(head, 4);
  const uint64_t rows = read_big_endian_u32(head, 8);
  const uint64_t cols = read_big_endian_u32(head, 12);
  MIPP_CHECK(rows > 0 && cols > 0, kCorruption, "{}: images of {}x{} pixels", path, rows, cols);
  // Checked on its own because a header of 0 images reads no data: from_blob would still compute
  // strides from rows*cols, and 2^32 x 2^32 overflows them (a c10::Error, found by fuzzing).
  const uint64_t memory = physical_memory_bytes();
  MIPP_CHECK(rows * cols <= memory / (1 + sizeof(float)), kCorruption,
             "{}: images of {}x{} pixels, more than this machine's memory ({} bytes) holds once decoded "
             "(a corrupt header?)",
             path, rows, cols, memory);
  const std::string layout = fmt::format("{} images of {}x{}", n, rows, cols);
  // Each dimension fits 32 bits, their product may not: a wrapped product that happened to equal
  // the file size would let from_blob read past the buffer.
  uint64_t pixels = 0;
  MIPP_CHECK(!__builtin_mul_overflow(n, rows * cols, &pixels), kCorruption,
             "{}: header says {}, more bytes than any file holds", path, layout);
  const std::string bytes = read_declared(path, kImagesHeaderBytes, pixels, sizeof(float), layout);
  const auto dim = [](uint64_t v) { return static_cast<int64_t>(v); };
  return bytes_to_tensor(bytes, kImagesHeaderBytes, {dim(n), 1, dim(rows), dim(cols)}, at::kFloat).div_(255.0);
}

// Labels as int64 [N], each checked against `num_classes`.
at::Tensor read_labels(const std::string& path, int64_t num_classes) {
  const std::string head = read_file_head(path, kLabelsHeaderBytes);
  check_header(path, head, kLabelsHeaderBytes, kLabelsMagic, "labels");
  const int64_t n = read_big_endian_u32(head, 4);
  const std::string bytes =
      read_declared(path, kLabelsHeaderBytes, static_cast<uint64_t>(n), sizeof(int64_t), fmt::format("{} labels", n));
  at::Tensor labels = bytes_to_tensor(bytes, kLabelsHeaderBytes, {n}, at::kLong);
  const at::Tensor bad = (labels >= num_classes).nonzero();
  if (bad.numel() > 0) {
    const int64_t index = bad[0][0].item<int64_t>();
    MIPP_FAIL(kCorruption, "{}: label {} at index {} is out of range [0, {})", path, labels[index].item<int64_t>(),
              index, num_classes);
  }
  return labels;
}

}  // namespace

Dataset read_idx(const std::string& images_path, const std::string& labels_path, const std::string& name,
                 int64_t num_classes) {
  MIPP_CHECK(num_classes > 0, kInvalidArgument, "read_idx {}: num_classes {} must be positive", name, num_classes);
  Dataset d;
  d.name = name;
  d.num_classes = num_classes;
  d.inputs = read_images(images_path);
  d.labels = read_labels(labels_path, num_classes);
  MIPP_CHECK(d.inputs.size(0) == d.labels.size(0), kCorruption, "{} has {} images but {} has {} labels", images_path,
             d.inputs.size(0), labels_path, d.labels.size(0));
  return d;
}

}  // namespace mipp::data
