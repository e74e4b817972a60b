// The two greedy unit choosers of the reconstruction methods.
//
// greedy_selection (El Halabi et al. 2022): add, one unit at a time, the unit whose columns most
// reduce min_W~ ||B_S W~ - A W||^2 summed over the group's consumers. The normalised reduction
// F(S) = 1 - error(S) / error(fixed columns only) is weakly submodular, so greedy is within
// 1 - exp(-gamma) of the best set of its size. Stochastic greedy (Mirzasoleiman et al. 2015)
// looks at ceil(d / k * ln(1 / epsilon)) random candidates per step instead of all. When no
// candidate explains anything more (dependent or dead columns), the rest are filled up by how much
// new direction their columns still bring.
//
// thinet_removal (Luo et al. 2017): remove, one unit at a time, the unit whose contribution to the
// consumer's output, added to the contributions already removed, changes it least. ThiNet samples
// (location, output channel) pairs; we use every location and channel the Grams summarise, whose
// error is the sampled one's expectation.
#pragma once

#include <cstdint>
#include <vector>

#include "prune/reconstruction/sequential.h"

namespace mipp::prune::reconstruction {

struct GreedyOptions {
  double epsilon = 0;  // 0: standard greedy; in (0, 1): stochastic greedy
  uint64_t seed = 0;
};

struct GreedyResult {
  std::vector<int64_t> order;  // units in the order chosen, `keep` of them
  std::vector<double> gains;   // each one's normalised gain F(S + u) - F(S) when it was chosen
  std::vector<double> value;   // F after each step
};

GreedyResult greedy_selection(const std::vector<ConsumerView>& views, int64_t units, int64_t keep,
                              const GreedyOptions& options);

// The units ThiNet keeps (sorted), removing units - keep of them.
std::vector<int64_t> thinet_removal(const std::vector<ConsumerView>& views, int64_t units, int64_t keep);

}  // namespace mipp::prune::reconstruction
