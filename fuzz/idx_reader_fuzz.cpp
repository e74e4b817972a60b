// Fuzzes data::read_idx (IDX image and label files, plain or gzip) through files on disk, the way
// the reader is used. Input layout:
//   byte 0    flags: bit 0 gzip the images file, bit 1 gzip the labels file (the harness
//             compresses; raw gzip bytes in the input are read as gzip too, by their magic)
//   byte 1    num_classes - 1
//   bytes 2-3 length of the images file (little-endian, cut to what is left)
//   rest      the images file, then the labels file
#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "mipp/data/readers.h"
#include "mipp/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mipp::fuzz::init();
  if (size < 4) return 0;
  const bool gzip_images = (data[0] & 1) != 0;
  const bool gzip_labels = (data[0] & 2) != 0;
  const int64_t num_classes = int64_t{data[1]} + 1;
  const std::string rest(reinterpret_cast<const char*>(data) + 4, size - 4);
  const size_t images_size = std::min<size_t>(data[2] | (size_t{data[3]} << 8), rest.size());
  static const std::string images = mipp::fuzz::temp_path("images-idx3-ubyte");
  static const std::string labels = mipp::fuzz::temp_path("labels-idx1-ubyte");
  mipp::fuzz::write_file(images, rest.substr(0, images_size), gzip_images);
  mipp::fuzz::write_file(labels, rest.substr(images_size), gzip_labels);
  try {
    const mipp::data::Dataset d = mipp::data::read_idx(images, labels, "fuzz", num_classes);
    // What the reader promises of a dataset it returns.
    if (d.inputs.size(0) != d.labels.size(0) || d.inputs.dim() != 4) __builtin_trap();
  } catch (const mipp::Error& e) {
    mipp::fuzz::note_error(e);
  }
  return 0;
}
