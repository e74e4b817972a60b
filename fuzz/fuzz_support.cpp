#include "fuzz_support.h"

#include <ATen/Parallel.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace mipp::fuzz {

namespace {

std::string& folder() {
  static std::string path;
  return path;
}

void remove_folder() {
  std::error_code ec;
  std::filesystem::remove_all(folder(), ec);
}

}  // namespace

void init() {
  if (!folder().empty()) return;
  at::set_num_threads(1);
  at::set_num_interop_threads(1);
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/mipp-fuzz-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a folder like " + pattern);
  folder() = pattern;
  std::atexit(remove_folder);
}

std::string temp_path(const std::string& name) {
  init();
  return folder() + "/" + name;
}

void write_file(const std::string& path, const std::string& bytes, bool gzip) {
  if (!gzip) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.good()) throw std::runtime_error("cannot write " + path);
    return;
  }
  gzFile file = gzopen(path.c_str(), "wb1");
  if (file == nullptr) throw std::runtime_error("cannot open " + path);
  const int written = bytes.empty() ? 0 : gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  if (gzclose(file) != Z_OK || written != static_cast<int>(bytes.size())) {
    throw std::runtime_error("cannot write " + path);
  }
}

void note_error(const std::exception& e) {
  static const bool verbose = std::getenv("MIPP_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "mipp::Error: %s\n", e.what());
}

}  // namespace mipp::fuzz
