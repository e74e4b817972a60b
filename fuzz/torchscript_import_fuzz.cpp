// Fuzzes io::import_torchscript (any TorchScript file: the module's forward walked op by op)
// through a file on disk. Input layout:
//   byte 0    the input shape to import with: [3, 8, 8], [1, 28, 28], [4] or [3, 32, 32]
//   rest      the file's bytes
// The importer runs the module once on a probe input, so besides mipp's walk this reaches
// LibTorch's archive reader, unpickler and TorchScript compiler on damaged input; a crash there is
// recorded as LibTorch's (docs/RELIABILITY.md).
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "mipp/io/torchscript_import.h"
#include "mipp/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mipp::fuzz::init();
  if (size < 1) return 0;
  static const std::string path = mipp::fuzz::temp_path("module.pt");
  static const mipp::graph::Shape shapes[] = {{3, 8, 8}, {1, 28, 28}, {4}, {3, 32, 32}};
  mipp::fuzz::write_file(path, std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    mipp::io::import_torchscript(path, {shapes[data[0] % 4]});
  } catch (const mipp::Error& e) {
    mipp::fuzz::note_error(e);
  }
  return 0;
}
