#include "mipp/util/seed.h"

namespace mipp::util {

namespace {

// SplitMix64 finaliser (Steele et al. 2014): a bijective mixer, so distinct inputs stay distinct.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t derive_seed(uint64_t seed, std::string_view stage) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the stage name
  for (unsigned char c : stage) {
    h = (h ^ c) * 0x100000001b3ULL;
  }
  return mix(seed ^ mix(h));
}

}  // namespace mipp::util
