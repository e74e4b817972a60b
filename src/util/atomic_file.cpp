#include "mipp/util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "mipp/util/error.h"

namespace mipp::util {

namespace {

namespace fs = std::filesystem;

// Temp names are "<path>.tmp.<host>.<pid>.<n>": unique within the process (counter), across
// processes (pid) and machines sharing a folder (host), so concurrent writers of the same
// destination never share a temp file, and a leftover names the process that left it.
constexpr std::string_view kTempInfix = ".tmp.";

const std::string& host_name() {
  static const std::string name = [] {
    char buffer[256] = {};
    return ::gethostname(buffer, sizeof(buffer) - 1) == 0 ? std::string(buffer) : std::string("host");
  }();
  return name;
}

std::atomic<int> g_open_write_sections{0};

std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}{}{}.{}.{}", path, kTempInfix, host_name(), ::getpid(), counter++);
}

fs::path folder_of(const std::string& path) {
  const fs::path target(path);
  return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

void check_destination(const std::string& path) {
  std::error_code ec;
  const fs::path folder = folder_of(path);
  MIPP_CHECK(fs::is_directory(folder, ec), kIo, "{}: cannot write: folder {} does not exist", path, folder.string());
  MIPP_CHECK(!fs::is_directory(fs::path(path), ec), kIo, "{}: cannot write: it is a folder", path);
}

// Writes all of `contents` to a new file `temp` and fsyncs it; on failure removes it and throws.
void write_new_file(const std::string& path, const std::string& temp, std::string_view contents) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  MIPP_CHECK(fd >= 0, kIo, "{}: cannot write: {}", path, std::strerror(errno));
  int err = 0;
  for (size_t done = 0; done < contents.size() && err == 0;) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      err = errno;
    }
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    std::remove(temp.c_str());
    MIPP_FAIL(kIo, "{}: cannot write: {}", path, std::strerror(err));
  }
}

bool process_runs(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

// Removes this machine's "<path>.tmp.<host>.<pid>.<n>" files whose process is gone.
void remove_stale_temps(const std::string& path) {
  const fs::path target(path);
  const std::string prefix = target.filename().string() + std::string(kTempInfix) + host_name() + ".";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder_of(path), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (end == rest.c_str() || *end != '.' || pid <= 0 || process_runs(pid)) continue;
    fs::remove(entry.path(), ec);
  }
}

}  // namespace

WriteSection::WriteSection() { ++g_open_write_sections; }
WriteSection::~WriteSection() { --g_open_write_sections; }
bool writes_in_progress() { return g_open_write_sections.load() > 0; }

void write_file_atomically(const std::string& path, std::string_view contents) {
  const WriteSection section;
  check_destination(path);
  const std::string temp = temp_path_for(path);
  write_new_file(path, temp, contents);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp.c_str());
    MIPP_FAIL(kIo, "{}: cannot write: {}", path, std::strerror(err));
  }
  remove_stale_temps(path);  // what a killed earlier writer of this file left
}

void check_writable(const std::string& path, const std::string& what) {
  try {
    check_destination(path);
    remove_stale_temps(path);
    const std::string probe = temp_path_for(path);
    write_new_file(path, probe, {});
    std::remove(probe.c_str());
  } catch (const Error& e) {
    MIPP_FAIL(kIo, "{} {}", what, e.what());
  }
}

}  // namespace mipp::util
