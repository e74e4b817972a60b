#include "mipp/util/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mipp/util/error.h"

namespace mipp::util {

namespace {

// Unique within the process (counter) and across processes (pid), so concurrent writers of the
// same destination never share a temp file.
std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter++);
}

}  // namespace

void write_atomically(const std::string& path, const std::function<void(const std::string&)>& writer) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  MIPP_CHECK(fs::is_directory(folder, ec), kIo, "{}: cannot write: folder {} does not exist", path,
             folder.string());
  MIPP_CHECK(!fs::is_directory(target, ec), kIo, "{}: cannot write: it is a folder", path);

  const std::string temp = temp_path_for(path);
  try {
    writer(temp);
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp.c_str());
    MIPP_FAIL(kIo, "{}: cannot write: {}", path, std::strerror(err));
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& temp) {
    std::ofstream out(temp, std::ios::binary);
    out << text;
    out.flush();
    MIPP_CHECK(out.good(), kIo, "{}: cannot write: {}", path, std::strerror(errno));
  });
}

}  // namespace mipp::util
