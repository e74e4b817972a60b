#include "data/file_bytes.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "mipp/util/error.h"

namespace mipp::data {

namespace {

// Checks that `path` is an existing file and opens it.
std::ifstream open_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  MIPP_CHECK(fs::exists(path, ec), kNotFound, "{}: no such file", path);
  MIPP_CHECK(!fs::is_directory(path, ec), kInvalidArgument, "{}: is a folder, expected a file", path);
  std::ifstream in(path, std::ios::binary);
  MIPP_CHECK(in.is_open(), kIo, "{}: cannot open: {}", path, std::strerror(errno));
  return in;
}

bool has_gzip_magic(std::ifstream& in) {
  char magic[2] = {0, 0};
  in.read(magic, 2);
  const bool gzip =
      in.gcount() == 2 && static_cast<unsigned char>(magic[0]) == 0x1f && static_cast<unsigned char>(magic[1]) == 0x8b;
  in.clear();
  in.seekg(0);
  return gzip;
}

// Inflates at most `limit` bytes of `path` into a buffer of that size, cut to what was read.
// `complete` says whether the stream ended within the limit; only then is gzclose's verdict on the
// stream's integrity known, so only then is it checked.
std::string inflate_gzip(const std::string& path, uint64_t limit, bool& complete) {
  gzFile file = gzopen(path.c_str(), "rb");
  MIPP_CHECK(file != nullptr, kIo, "{}: cannot open: {}", path, std::strerror(errno));
  // zlib's default 8 KiB buffer makes reading a 47 MB file needlessly slow.
  gzbuffer(file, 1 << 20);
  // Grown by doubling up to `limit`, not allocated at `limit` at once: limits from a header are
  // checked against the machine's memory, but a small file need not touch all of it.
  std::string bytes;
  uint64_t filled = 0;
  complete = false;
  while (filled < limit) {
    if (filled == bytes.size()) {
      bytes.resize(static_cast<size_t>(std::min<uint64_t>(limit, std::max<uint64_t>(2 * filled, 1 << 20))));
    }
    // gzread takes an unsigned count and returns an int: chunks of at most 1 GiB.
    const unsigned want = static_cast<unsigned>(std::min<uint64_t>(bytes.size() - filled, 1u << 30));
    const int n = gzread(file, bytes.data() + filled, want);
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      MIPP_FAIL(kCorruption, "{}: corrupt gzip data: {}", path, message);
    }
    if (n == 0) {
      complete = true;
      break;
    }
    filled += static_cast<uint64_t>(n);
  }
  // A stream of exactly `limit` bytes: the loop stopped before gzread could report its end.
  if (!complete) {
    char probe = 0;
    const int n = gzread(file, &probe, 1);
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      MIPP_FAIL(kCorruption, "{}: corrupt gzip data: {}", path, message);
    }
    complete = n == 0;
  }
  bytes.resize(static_cast<size_t>(filled));
  // gzread reports a stream cut short only through gzclose (Z_BUF_ERROR), so its result matters
  // when the stream was read to its end.
  const int closed = gzclose(file);
  if (complete) {
    MIPP_CHECK(closed == Z_OK, kCorruption, "{}: corrupt gzip data: {}", path,
               closed == Z_BUF_ERROR ? "the compressed stream ends early" : "cannot finish reading");
  }
  return bytes;
}

// The first `limit` bytes of a plain file, or all of it when shorter.
std::string read_plain(const std::string& path, std::ifstream& in, uint64_t limit) {
  in.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  const uint64_t want = std::min(size, limit);
  std::string bytes(static_cast<size_t>(want), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(want));
  MIPP_CHECK(static_cast<uint64_t>(in.gcount()) == want, kIo, "{}: cannot read: {}", path, std::strerror(errno));
  return bytes;
}

}  // namespace

std::string read_file_bytes(const std::string& path, uint64_t max_bytes, const std::string& expected) {
  std::ifstream in = open_file(path);
  if (has_gzip_magic(in)) {
    bool complete = false;
    std::string bytes = inflate_gzip(path, max_bytes, complete);
    MIPP_CHECK(complete, kCorruption, "{}: {}; the gzip data inflates to more than {} bytes", path, expected,
               max_bytes);
    return bytes;
  }
  in.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  MIPP_CHECK(size <= max_bytes, kCorruption, "{}: {}; file has {} bytes", path, expected, size);
  return read_plain(path, in, size);
}

std::string read_file_head(const std::string& path, size_t n) {
  std::ifstream in = open_file(path);
  if (has_gzip_magic(in)) {
    bool complete = false;
    return inflate_gzip(path, n, complete);
  }
  return read_plain(path, in, n);
}

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return uint64_t{1} << 63;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

}  // namespace mipp::data
