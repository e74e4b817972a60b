#include "local_ranks.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <thread>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_common.h"
#include "mipp/dist/process_group.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

// This process's arguments as the kernel recorded them (argv[0] included).
std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    const size_t end = all.find('\0', start);
    args.push_back(all.substr(start, end - start));
    start = end == std::string::npos ? all.size() : end + 1;
  }
  MIPP_CHECK(!args.empty(), kIo, "--nproc: cannot read this process's command line from /proc/self/cmdline");
  return args;
}

// A TCP port on the loopback interface that nothing listens on now (rank 0 binds it next).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  MIPP_CHECK(fd >= 0, kIo, "--nproc: cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  MIPP_CHECK(ok, kIo, "--nproc: cannot bind a loopback port for the ranks' store");
  return ntohs(address.sin_port);
}

}  // namespace

int run_local_ranks(int nproc) {
  const std::vector<std::string> args = own_command_line();
  const std::string port = std::to_string(free_port());
  // Ctrl-C goes to every rank; this process only waits and reports their exit codes.
  struct sigaction ignore {}, previous{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &previous);

  std::vector<pid_t> ranks;
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = fork();
    MIPP_CHECK(pid >= 0, kIo, "--nproc: cannot start rank {} (fork failed)", r);
    if (pid == 0) {
      sigaction(SIGINT, &previous, nullptr);
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", port.c_str(), 1);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "mipp: error: --nproc: cannot start rank %d (exec failed)\n", r);
      _exit(3);
    }
    ranks.push_back(pid);
  }

  // The first failure decides the exit code. The others usually fail on their own at once (their
  // peer's connection closed) and say why; those still running after a grace period are stopped.
  constexpr auto kGrace = std::chrono::seconds(10);
  int result = 0;
  std::optional<std::chrono::steady_clock::time_point> stop_at;
  std::vector<bool> done(ranks.size(), false);
  size_t running = ranks.size();
  while (running > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0) break;
    if (pid == 0) {
      if (stop_at && std::chrono::steady_clock::now() >= *stop_at) {
        for (size_t r = 0; r < ranks.size(); ++r) {
          if (done[r]) continue;
          kill(ranks[r], SIGTERM);
          kill(ranks[r], SIGCONT);  // a stopped rank acts on SIGTERM only once it runs again
        }
        stop_at.reset();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const size_t r = static_cast<size_t>(std::find(ranks.begin(), ranks.end(), pid) - ranks.begin());
    if (r < done.size()) done[r] = true;
    --running;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (WIFSIGNALED(status)) {  // it could not say so itself
      std::fprintf(stderr, "mipp: error: rank %zu of %d died (signal %d, %s)\n", r, nproc, WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
    }
    if (code != 0 && result == 0) {
      result = code;
      stop_at = std::chrono::steady_clock::now() + kGrace;
    }
  }
  sigaction(SIGINT, &previous, nullptr);
  return result;
}

int start_local_ranks_if_asked(int nproc, int64_t batch_size) {
  // Everything that can be checked alone is checked before ranks start or join.
  const std::optional<dist::Launch> launch = dist::launch_from_environment();
  MIPP_CHECK(nproc == 1 || !launch || launch->world_size == nproc, kInvalidArgument,
             "--nproc {}: the launcher started {} ranks (WORLD_SIZE); leave --nproc out under torchrun", nproc,
             launch ? launch->world_size : 1);
  const int ranks = launch ? launch->world_size : nproc;
  MIPP_CHECK(batch_size % ranks == 0, kInvalidArgument,
             "--batch-size {}: a data-parallel run of {} ranks splits every batch evenly; use a multiple of {}",
             batch_size, ranks, ranks);
  if (nproc > 1 && !launch) throw ExitRequest{run_local_ranks(nproc)};
  return ranks;
}

}  // namespace mipp::cli
