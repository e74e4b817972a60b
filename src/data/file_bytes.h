// Whole-file reads for the dataset readers: the datasets are small enough (Fashion-MNIST's
// training images are 47 MB) to hold in memory, and a byte string makes the format checks simple.
//
// Reads are bounded: a small gzip file can inflate to gigabytes (deflate reaches ~1000:1 on
// zeros), so the caller says how many bytes the file may hold, from its header when the format
// has one, and reading stops as soon as the data goes past that.
#pragma once

#include <cstdint>
#include <string>

namespace mipp::data {

// The bytes of `path`, inflated when the file is gzip. Gzip is detected by its magic bytes
// (0x1f 0x8b), not by the name, so a renamed or re-compressed file still reads.
// At most `max_bytes`: a plain file is measured before it is read, gzip data is inflated only up
// to max_bytes + 1, and either one longer throws Error(kCorruption)
// "PATH: EXPECTED; file has N bytes" (plain) or "PATH: EXPECTED; the gzip data inflates to more
// than N bytes" (gzip), with `expected` the caller's description of the size ("header says 5
// images of 4x3, i.e. 76 bytes with the header"). Memory used is the result's size, never more.
// Throws Error(kNotFound) "PATH: no such file", Error(kCorruption) for damaged gzip data and
// Error(kIo) when the file exists but cannot be read.
std::string read_file_bytes(const std::string& path, uint64_t max_bytes, const std::string& expected);

// The first `n` bytes of `path` (inflated when gzip), fewer when the file is shorter: a format's
// header, read before deciding how much of the file to read. Throws as read_file_bytes() does,
// except that data beyond the first n bytes is neither read nor checked.
std::string read_file_head(const std::string& path, size_t n);

// The machine's physical memory in bytes (the readers refuse files whose decoded tensors could
// not fit in it); 2^63 when the system does not say.
uint64_t physical_memory_bytes();

}  // namespace mipp::data
