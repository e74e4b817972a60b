#include "mipp/util/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "mipp/util/error.h"
#include "support/temp_dir.h"

namespace mipp::util {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `fn` with a file-size limit of `bytes` (what a full disk does to write(): it fails) and
// SIGXFSZ ignored, restoring both afterwards.
template <typename Fn>
void with_file_size_limit(rlim_t bytes, Fn&& fn) {
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = bytes;
  auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  fn();
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
}

}  // namespace

TEST(AtomicFile, WritesAndReplacesWhole) {
  testing::TempDir dir;
  write_file_atomically(dir.file("a.txt"), "first version, longer");
  write_file_atomically(dir.file("a.txt"), "second");
  EXPECT_EQ(read_text(dir.file("a.txt")), "second");
  EXPECT_EQ(dir.num_entries(), 1);
}

// A full disk used to surface from LibTorch's writer as an uncaught exception (SIGABRT) and leave
// the temp file behind.
TEST(AtomicFile, AFailedWriteIsAnIoErrorAndLeavesNothing) {
  testing::TempDir dir;
  write_file_atomically(dir.file("a.txt"), "old");
  with_file_size_limit(1000, [&] {
    try {
      write_file_atomically(dir.file("a.txt"), std::string(5000, 'x'));
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kIo);
      EXPECT_NE(std::string(e.what()).find("a.txt: cannot write: File too large"), std::string::npos) << e.what();
    }
  });
  EXPECT_EQ(read_text(dir.file("a.txt")), "old");  // the earlier version stands
  EXPECT_EQ(dir.num_entries(), 1);
}

TEST(AtomicFile, CheckWritableNamesTheOptionAndLeavesNothing) {
  testing::TempDir dir;
  check_writable(dir.file("out.pt"), "--out");
  EXPECT_EQ(dir.num_entries(), 0);
  try {
    check_writable(dir.file("missing/out.pt"), "--report");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("--report " + dir.file("missing/out.pt") + ": cannot write: folder"),
              std::string::npos)
        << e.what();
  }
  if (::access("/proc/self", F_OK) == 0) {  // a folder nobody can create files in, even root
    EXPECT_THROW(check_writable("/proc/out.pt", "--out"), Error);
  }
}

// A killed writer leaves "<name>.tmp.<host>.<pid>.<n>"; the next writer of that name removes it
// once its process is gone, and leaves other files, live writers' and other machines' temps alone.
TEST(AtomicFile, CheckWritableRemovesStaleTempsOfDeadWriters) {
  testing::TempDir dir;
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  int status = 0;
  ::waitpid(dead, &status, 0);
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  const std::string here = std::string(".tmp.") + host + ".";
  const std::string stale = dir.file("out.pt" + here + std::to_string(dead) + ".0");
  const std::string live = dir.file("out.pt" + here + std::to_string(::getpid()) + ".7");
  const std::string other_file = dir.file("other.pt" + here + std::to_string(dead) + ".0");
  const std::string other_host = dir.file("out.pt.tmp.elsewhere." + std::to_string(dead) + ".0");
  for (const auto& p : {stale, live, other_file, other_host}) std::ofstream(p) << "partial";
  check_writable(dir.file("out.pt"), "--out");
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other_file));
  EXPECT_TRUE(std::filesystem::exists(other_host));
  std::filesystem::remove(live);
  std::ofstream(stale) << "partial";
  write_file_atomically(dir.file("out.pt"), "done");  // a successful write cleans up too
  EXPECT_FALSE(std::filesystem::exists(stale));
}

}  // namespace mipp::util
