// Fuzzes data::read_cifar (CIFAR-10/100 binary batches, plain or gzip) through files on disk.
// Input layout:
//   byte 0    flags: bit 0 CIFAR-100 (else CIFAR-10), bit 1 gzip the files (the harness
//             compresses; raw gzip bytes in the input are read as gzip too), bit 2 two files
//   bytes 1-2 length of the first file when there are two (little-endian, cut to what is left)
//   rest      the file(s)
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "mipp/data/readers.h"
#include "mipp/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mipp::fuzz::init();
  if (size < 3) return 0;
  const int64_t num_classes = (data[0] & 1) != 0 ? 100 : 10;
  const bool gzip = (data[0] & 2) != 0;
  const bool two_files = (data[0] & 4) != 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  const size_t first_size = two_files ? std::min<size_t>(data[1] | (size_t{data[2]} << 8), rest.size()) : rest.size();
  static const std::string first = mipp::fuzz::temp_path("data_batch_1.bin");
  static const std::string second = mipp::fuzz::temp_path("data_batch_2.bin");
  std::vector<std::string> files = {first};
  mipp::fuzz::write_file(first, rest.substr(0, first_size), gzip);
  if (two_files) {
    mipp::fuzz::write_file(second, rest.substr(first_size), gzip);
    files.push_back(second);
  }
  try {
    const mipp::data::Dataset d = mipp::data::read_cifar(files, num_classes, "fuzz");
    if (d.inputs.size(0) != d.labels.size(0) || d.inputs.size(1) != 3) __builtin_trap();
  } catch (const mipp::Error& e) {
    mipp::fuzz::note_error(e);
  }
  return 0;
}
