// Opens every model file of a folder in PyTorch (tests/python/check_model_files.py, run with
// the interpreter of mipp's Python environment, MIPP_PYTHON) and returns one JSON record per file: {"model", "error",
// "max_abs_diff", "metadata_ok", ...}.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mipp::testing {

// Fails the current test (and returns what it has) when the script itself fails.
std::vector<nlohmann::json> check_model_files_in_pytorch(const std::string& dir);

}  // namespace mipp::testing
