// What the fuzz harnesses share: a private folder for the files they hand to mipp's readers (the
// readers take paths), and the process set-up every harness needs once.
//
// A harness is one LLVMFuzzerTestOneInput per file (libFuzzer's interface): it passes the input to
// one reader, catches mipp::Error (a correct answer to bad input) and lets everything else escape,
// so that any other exception, a crash or a sanitizer report is a finding. docs/RELIABILITY.md
// says how to build and run them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

namespace mipp::fuzz {

// Once per process: LibTorch on one thread (a fuzzer runs one input at a time, and the other
// cores stay free for other work) and the private folder created. Idempotent.
void init();

// `name` inside this process's private folder (under $TMPDIR or /tmp), which is removed at exit.
std::string temp_path(const std::string& name);

// Writes `bytes` to `path`, replacing it; gzip-compressed (zlib, level 1) when `gzip`. Throws
// std::runtime_error when the file cannot be written: the harness's own failure, not a finding.
void write_file(const std::string& path, const std::string& bytes, bool gzip = false);

// Called with each mipp::Error a harness catches: prints its message to stderr when the
// environment sets MIPP_FUZZ_VERBOSE (to see why seeds or a corpus are refused), else nothing.
void note_error(const std::exception& e);

}  // namespace mipp::fuzz
