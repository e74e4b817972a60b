#include "data/file_bytes.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mipp/util/error.h"

namespace mipp::data {

namespace {

bool has_gzip_magic(std::ifstream& in) {
  char magic[2] = {0, 0};
  in.read(magic, 2);
  const bool gzip =
      in.gcount() == 2 && static_cast<unsigned char>(magic[0]) == 0x1f && static_cast<unsigned char>(magic[1]) == 0x8b;
  in.clear();
  in.seekg(0);
  return gzip;
}

std::string inflate_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  MIPP_CHECK(file != nullptr, kIo, "{}: cannot open: {}", path, std::strerror(errno));
  // zlib's default 8 KiB buffer makes reading a 47 MB file needlessly slow.
  gzbuffer(file, 1 << 20);
  std::string bytes;
  std::string chunk(1 << 20, '\0');
  while (true) {
    const int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      MIPP_FAIL(kCorruption, "{}: corrupt gzip data: {}", path, message);
    }
    if (n == 0) break;
    bytes.append(chunk.data(), static_cast<size_t>(n));
  }
  // gzread reports a stream cut short only through gzclose (Z_BUF_ERROR), so its result matters.
  const int closed = gzclose(file);
  MIPP_CHECK(closed == Z_OK, kCorruption, "{}: corrupt gzip data: {}", path,
             closed == Z_BUF_ERROR ? "the compressed stream ends early" : "cannot finish reading");
  return bytes;
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  MIPP_CHECK(fs::exists(path, ec), kNotFound, "{}: no such file", path);
  MIPP_CHECK(!fs::is_directory(path, ec), kInvalidArgument, "{}: is a folder, expected a file", path);
  std::ifstream in(path, std::ios::binary);
  MIPP_CHECK(in.is_open(), kIo, "{}: cannot open: {}", path, std::strerror(errno));
  if (has_gzip_magic(in)) return inflate_gzip(path);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), size);
  MIPP_CHECK(in.gcount() == size, kIo, "{}: cannot read: {}", path, std::strerror(errno));
  return bytes;
}

}  // namespace mipp::data
