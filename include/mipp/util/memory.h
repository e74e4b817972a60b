// Memory checks before large allocations: a request that cannot fit fails at once with the size
// that was asked for, instead of allocating for minutes and dying in std::bad_alloc.
#pragma once

#include <cstdint>
#include <string_view>

namespace mipp::util {

// Bytes this process can still allocate: the system's MemAvailable, lowered by the cgroup's memory
// limit and by the address-space limit (ulimit -v) when they are set.
int64_t available_memory_bytes();

// Throws Error(kInvalidArgument) "WHAT needs X GiB of memory; Y GiB are available[; HINT]" when
// `bytes` exceed available_memory_bytes(). `bytes` < 0 means the size overflowed and always fails.
void check_memory(int64_t bytes, std::string_view what, std::string_view hint = {});

// a * b * ... saturating at INT64_MAX: for size estimates that must not wrap around.
int64_t saturating_product(std::initializer_list<int64_t> factors);

}  // namespace mipp::util
