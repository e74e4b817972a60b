// CIFAR-10/100 binary version (https://www.cs.toronto.edu/~kriz/cifar.html, "Binary version"):
// fixed-size records, no header. CIFAR-10: <label> <3072 pixels>; CIFAR-100: <coarse label>
// <fine label> <3072 pixels>. Pixels are channel-major: 1024 red, 1024 green, 1024 blue bytes,
// each a 32x32 image in row-major order, so a record's pixel bytes reshape to [3, 32, 32] directly.
#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>

#include "data/file_bytes.h"
#include "mipp/data/readers.h"
#include "mipp/util/error.h"

namespace mipp::data {

namespace {

constexpr int64_t kPixelBytes = 3 * 32 * 32;

struct CifarPart {
  at::Tensor inputs;  // [n, 3, 32, 32] float32 in [0, 1]
  at::Tensor labels;  // [n] int64
};

CifarPart read_cifar_file(const std::string& path, int64_t num_classes) {
  // CIFAR-100 records carry the coarse label first; the fine label (100 classes) is the second byte.
  const int64_t label_bytes = num_classes == 100 ? 2 : 1;
  const int64_t record_bytes = label_bytes + kPixelBytes;
  // No header says how long the file is: the bound is what fits in memory with the float32 copy
  // of its pixels (4 bytes each), so a gzip bomb stops there instead of exhausting the machine.
  const uint64_t max_bytes = physical_memory_bytes() / (1 + sizeof(float));
  const std::string bytes = read_file_bytes(
      path, max_bytes,
      fmt::format("CIFAR-{} data of more than {} bytes does not fit this machine's memory once decoded", num_classes,
                  max_bytes));
  const int64_t size = static_cast<int64_t>(bytes.size());
  MIPP_CHECK(size > 0 && size % record_bytes == 0, kCorruption,
             "{}: {} bytes is not a positive multiple of the {}-byte CIFAR-{} record", path, size, record_bytes,
             num_classes);
  const int64_t n = size / record_bytes;
  // from_blob only reads through the pointer; both conversions below copy, so nothing aliases `bytes`.
  const at::Tensor records = at::from_blob(const_cast<char*>(bytes.data()), {n, record_bytes}, at::kByte);
  CifarPart part;
  part.labels = records.select(1, label_bytes - 1).to(at::kLong);
  part.inputs = records.narrow(1, label_bytes, kPixelBytes).reshape({n, 3, 32, 32}).to(at::kFloat).div_(255.0);
  const at::Tensor bad = (part.labels >= num_classes).nonzero();
  if (bad.numel() > 0) {
    const int64_t index = bad[0][0].item<int64_t>();
    MIPP_FAIL(kCorruption, "{}: label {} of record {} is out of range [0, {})", path,
              part.labels[index].item<int64_t>(), index, num_classes);
  }
  return part;
}

}  // namespace

Dataset read_cifar(const std::vector<std::string>& files, int64_t num_classes, const std::string& name) {
  MIPP_CHECK(num_classes == 10 || num_classes == 100, kInvalidArgument,
             "read_cifar {}: num_classes {}: must be 10 (CIFAR-10) or 100 (CIFAR-100)", name, num_classes);
  MIPP_CHECK(!files.empty(), kInvalidArgument, "read_cifar {}: no files given", name);
  std::vector<at::Tensor> inputs, labels;
  for (const std::string& path : files) {
    CifarPart part = read_cifar_file(path, num_classes);
    inputs.push_back(std::move(part.inputs));
    labels.push_back(std::move(part.labels));
  }
  Dataset d;
  d.name = name;
  d.num_classes = num_classes;
  // One file needs no concatenation copy.
  d.inputs = inputs.size() == 1 ? inputs.front() : at::cat(inputs);
  d.labels = labels.size() == 1 ? labels.front() : at::cat(labels);
  return d;
}

}  // namespace mipp::data
