#include "support/python_check.h"

#include <gtest/gtest.h>

#include <sstream>

#include "support/run_command.h"

namespace mipp::testing {

std::vector<nlohmann::json> check_model_files_in_pytorch(const std::string& dir) {
  const CommandResult r =
      run_command(std::string(MIPP_PYTHON) + " " + MIPP_SOURCE_DIR + "/tests/python/check_model_files.py " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<nlohmann::json> records;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  return records;
}

}  // namespace mipp::testing
