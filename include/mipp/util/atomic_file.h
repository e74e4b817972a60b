// Atomic output: a result appears under its final name only when it is complete.
//
// write_file_atomically() writes the bytes to a temporary file in the destination's folder (same
// file system, so the final rename is atomic) with checked write() calls, fsyncs it, and renames it
// over `path`. Every failure (no permission, read-only or full disk, a file-size limit) is an
// Error(kIo) naming the file and the system's reason, and leaves neither the file nor the temp.
// Callers serialise in memory first (model files too), so no third-party writer ever sees a
// failing stream. Temporary files of this path that a killed writer on this machine left
// ("<path>.tmp.<host>.<pid>.<n>", the process gone) are removed after a successful write.
#pragma once

#include <string>
#include <string_view>

namespace mipp::util {

// REQUIRES: the folder of `path` exists. Throws Error(kIo) when it cannot be written.
void write_file_atomically(const std::string& path, std::string_view contents);

// While a WriteSection exists, outputs are being written (write_file_atomically opens one for
// each file; a command opens one around outputs that belong together, a model and its report).
// A forced exit (the CLI's answer to Ctrl-C when work does not stop by itself) waits until none is
// open, so such outputs appear together or not at all and no temporary file is left.
class WriteSection {
 public:
  WriteSection();
  ~WriteSection();
  WriteSection(const WriteSection&) = delete;
  WriteSection& operator=(const WriteSection&) = delete;
};
bool writes_in_progress();

// Checks, before long work, that `path` can be written when the work is done: its folder exists,
// it is not a folder, and a file can be created beside it (a probe, removed at once). Also removes
// temporary files that an earlier, killed writer of `path` left (their process no longer runs).
// Throws Error(kIo) naming `what` (the option, e.g. "--out") and the reason.
void check_writable(const std::string& path, const std::string& what);

}  // namespace mipp::util
