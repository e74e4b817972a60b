// Seeds: one root seed decides everything; each stage derives its own sub-seed by name, so adding
// a stage never shifts the random numbers of the others.
#pragma once

#include <cstdint>
#include <string_view>

namespace mipp::util {

// The seed used when the user gives none. Fixed, never the clock, so runs repeat by default.
inline constexpr uint64_t kDefaultSeed = 0;

// derive_seed(seed, "init") != derive_seed(seed, "calibration"); pure function of its arguments.
uint64_t derive_seed(uint64_t seed, std::string_view stage);

}  // namespace mipp::util
