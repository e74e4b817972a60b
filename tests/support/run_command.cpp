#include "support/run_command.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/temp_dir.h"

namespace mipp::testing {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CommandResult run_command(const std::string& command) {
  TempDir dir;
  const std::string out = dir.file("out"), err = dir.file("err");
  const int status = std::system((command + " >" + out + " 2>" + err).c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

CommandResult run_mipp(const std::string& args) { return run_command(std::string(MIPP_CLI_PATH) + " " + args); }

BackgroundMipp::BackgroundMipp(const std::string& args) {
  std::string pattern = (std::filesystem::temp_directory_path() / "mipp-bg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temp folder");
  folder_ = pattern;
  // `exec` makes the shell become mipp, so the pid is mipp's own.
  const std::string command =
      "exec " + std::string(MIPP_CLI_PATH) + " " + args + " >" + folder_ + "/out 2>" + folder_ + "/err";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
}

BackgroundMipp::~BackgroundMipp() {
  if (!done_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(folder_, ec);
}

bool BackgroundMipp::running() {
  if (!done_ && waitpid(pid_, &status_, WNOHANG) == pid_) done_ = true;
  return !done_;
}

void BackgroundMipp::signal(int signal) {
  if (running()) kill(pid_, signal);
}

CommandResult BackgroundMipp::wait() {
  if (!done_) {
    waitpid(pid_, &status_, 0);
    done_ = true;
  }
  CommandResult r;
  r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  r.out = read_file(folder_ + "/out");
  r.err = read_file(folder_ + "/err");
  return r;
}

}  // namespace mipp::testing
