#include "mipp/util/error.h"

namespace mipp {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kCorruption: return "corruption";
    case ErrorKind::kNotSupported: return "not supported";
    case ErrorKind::kIo: return "I/O error";
    case ErrorKind::kNumerical: return "numerical error";
    case ErrorKind::kCancelled: return "cancelled";
  }
  return "error";
}

}  // namespace mipp
