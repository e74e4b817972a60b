// Version of mipp and the git commit it was built from, recorded in model files and reports.
#pragma once

namespace mipp::util {

const char* mipp_version();  // "0.1.0"
const char* git_commit();    // short hash, "unknown" outside a git checkout
const char* torch_cuda();    // the CUDA version LibTorch was linked with ("13.0"), or "cpu"

}  // namespace mipp::util
