// Whole-file reads for the dataset readers: the datasets are small enough (Fashion-MNIST's
// training images are 47 MB) to hold in memory, and a byte string makes the format checks simple.
#pragma once

#include <string>

namespace mipp::data {

// The bytes of `path`, inflated when the file is gzip. Gzip is detected by its magic bytes
// (0x1f 0x8b), not by the name, so a renamed or re-compressed file still reads.
// Throws Error(kNotFound) "PATH: no such file", Error(kCorruption) for damaged gzip data and
// Error(kIo) when the file exists but cannot be read.
std::string read_file_bytes(const std::string& path);

}  // namespace mipp::data
