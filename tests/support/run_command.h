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

// The mipp binary started in the background, for tests that signal it (Ctrl-C, kill -9).
class BackgroundMipp {
 public:
  explicit BackgroundMipp(const std::string& args);
  ~BackgroundMipp();  // kills it if it still runs
  BackgroundMipp(const BackgroundMipp&) = delete;
  BackgroundMipp& operator=(const BackgroundMipp&) = delete;

  bool running();              // false once it has exited (its result is then kept)
  void signal(int signal);     // kill(2) with `signal`
  CommandResult wait();        // waits for the exit; exit_code -1 when a signal ended it

 private:
  std::string folder_;
  int pid_ = -1;
  bool done_ = false;
  int status_ = 0;
};

}  // namespace mipp::testing
