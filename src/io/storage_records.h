// A check torch::jit::load does not make: that every tensor storage a TorchScript archive's pickle
// asks for fits in the archive record that holds its bytes. LibTorch sizes a storage by the element
// count in the pickle and lays it over the record's buffer as it is, so a damaged file whose pickle
// names a shorter record (one changed storage key) loads with tensors that read past that buffer:
// garbage weights, or a crash (docs/RELIABILITY.md, finding 5).
#pragma once

#include <string>

namespace mipp::io {

// Unpickles the archive's data.pkl and constants.pkl with its storage records, without building
// the module, and throws Error(kCorruption) naming the file, the record and both sizes when a
// storage is larger than its record. Any other damage is left for torch::jit::load to report.
void check_storage_records(const std::string& path);

}  // namespace mipp::io
