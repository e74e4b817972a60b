#include "mipp/util/memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>

#include "mipp/util/error.h"

namespace mipp::util {

namespace {

constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

// "MemAvailable:   123456 kB" from /proc/meminfo.
int64_t system_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  while (in >> key >> kib) {
    if (key == "MemAvailable:") return kib * 1024;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return kUnlimited;  // not Linux, or an unknown format: no opinion
}

// cgroup v2: memory.max (or "max") minus memory.current of this process's group.
int64_t cgroup_available() {
  std::ifstream max_file("/sys/fs/cgroup/memory.max"), current_file("/sys/fs/cgroup/memory.current");
  std::string max_text;
  int64_t current = 0;
  if (!(max_file >> max_text) || max_text == "max" || !(current_file >> current)) return kUnlimited;
  try {
    return std::max<int64_t>(0, std::stoll(max_text) - current);
  } catch (const std::exception&) {
    return kUnlimited;
  }
}

// ulimit -v: the limit minus the address space already mapped (/proc/self/statm's first field).
int64_t address_space_available() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kUnlimited;
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0;
  if (!(statm >> pages)) return kUnlimited;
  const int64_t mapped = pages * ::sysconf(_SC_PAGESIZE);
  return std::max<int64_t>(0, static_cast<int64_t>(limit.rlim_cur) - mapped);
}

std::string gib(int64_t bytes) { return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1 << 30)); }

}  // namespace

int64_t available_memory_bytes() {
  return std::min({system_available(), cgroup_available(), address_space_available()});
}

void check_memory(int64_t bytes, std::string_view what, std::string_view hint) {
  const int64_t available = available_memory_bytes();
  if (bytes >= 0 && bytes <= available) return;
  const std::string needed = bytes < 0 || bytes == kUnlimited ? std::string("over 8 EiB") : gib(bytes);
  MIPP_FAIL(kInvalidArgument, "{} needs {} of memory; {} are available{}{}", what, needed, gib(available),
            hint.empty() ? "" : ": ", hint);
}

int64_t saturating_product(std::initializer_list<int64_t> factors) {
  int64_t product = 1;
  for (int64_t f : factors) {
    if (f < 0) return kUnlimited;
    if (__builtin_mul_overflow(product, f, &product)) return kUnlimited;
  }
  return product;
}

}  // namespace mipp::util
