// Runs a shell command and captures its exit code, stdout and stderr (for CLI tests).
#pragma once

#include <string>

namespace mipp::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CommandResult run_command(const std::string& command);

// The mipp binary built beside the tests, with arguments appended.
CommandResult run_mipp(const std::string& args);

}  // namespace mipp::testing
