// mipp::Error — the one exception type of the library, and the MIPP_CHECK macro that raises it.
//
// Library code throws, never prints and never exits; the CLI translates an Error into one line on
// stderr and an exit code (docs/USAGE.md, "Exit codes"). A message names what is wrong, where, and
// what was expected versus found: "layer features.3: keep-set has 60 units, group has 64".
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace mipp {

enum class ErrorKind {
  kInvalidArgument,  // a flag, option, shape or value the caller gave is wrong
  kNotFound,         // a file, model name or layer does not exist
  kCorruption,       // a file exists but its content is malformed
  kNotSupported,     // valid input that mipp cannot handle (yet)
  kIo,               // the environment failed: cannot write, disk full
  kNumerical,        // NaN or degenerate numbers in weights, data or estimates
  kCancelled,        // the user interrupted a long run (its checkpoint, if any, is kept for --resume)
};

std::string_view error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace mipp

// Throws mipp::Error of the given kind (a bare ErrorKind enumerator name) with an fmt message.
//   MIPP_CHECK(p >= 0 && p < 1, kInvalidArgument, "--sparsity {}: must be in [0, 1)", p);
#define MIPP_CHECK(condition, kind, ...)                                              \
  do {                                                                                \
    if (!(condition)) {                                                               \
      throw ::mipp::Error(::mipp::ErrorKind::kind, ::fmt::format(__VA_ARGS__));       \
    }                                                                                 \
  } while (0)

#define MIPP_FAIL(kind, ...) throw ::mipp::Error(::mipp::ErrorKind::kind, ::fmt::format(__VA_ARGS__))
