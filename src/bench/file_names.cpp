#include "bench/file_names.h"

#include <cctype>

namespace mipp::bench {

std::string file_safe(const std::string& label) {
  std::string out = label;
  for (char& ch : out) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_') ch = '_';
  }
  return out;
}

}  // namespace mipp::bench
