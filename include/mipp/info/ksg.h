// The ksg estimator: k-nearest-neighbour estimates of MI and CMI that assume no distribution.
//   I(X; Y)     = psi(k) + psi(n) - < psi(n_x + 1) + psi(n_y + 1) >
//     (Kraskov, Stoegbauer & Grassberger 2004, Phys. Rev. E 69, 066138, "algorithm 1");
//   I(X; Y | Z) = psi(k) - < psi(n_xz + 1) + psi(n_yz + 1) - psi(n_z + 1) >
//     (Frenzel & Pompe 2007, Phys. Rev. Lett. 99, 204101).
// Distances are max-norms. For sample i, eps_i is the distance to its k-th nearest neighbour in
// the joint space (x, y) or (x, y, z); n_x counts the other samples strictly closer than eps_i in
// the x space (n_y, n_xz, n_yz, n_z likewise); < . > is the mean over samples.
//
// How it computes (float64, on the CPU):
//   1. constant columns are dropped (a constant carries no information: x or y all constant gives
//      0 and a p-value of 1; z all constant is no condition, giving I(X; Y)),
//      and the rest standardised to mean 0, variance 1, so that no variable dominates the max-norm
//      (the estimate is invariant to rescaling in the limit, not at finite n);
//   2. optionally, Gaussian noise of standard deviation `noise` is added (seeded), which breaks
//      ties between duplicated samples as scikit-learn does (it uses 1e-10);
//   3. neighbours are searched exactly, either by brute force — max-norm distances of a tile of
//      query rows to all rows, about `tile_mib` MiB per tile — or with k-d trees; both compare
//      the same float64 numbers |a - b| and give bit-identical estimates.
// Ties: eps_i is the k-th smallest distance counting repeated values (self excluded). When eps_i is
// 0 (at least k other samples coincide with sample i), "strictly closer than 0" is replaced by
// "at distance 0", so duplicates count as neighbours and the terms stay finite (scikit-learn's
// radius search does the same). Heavily duplicated data (discrete values) still biases the
// estimate: set `noise` for it.
//
// std_error: the standard deviation of the per-sample terms divided by sqrt(n). The terms are
// not independent (they share neighbours), so this is a rough guide, not a test; use
// test_positive_cmi for decisions.
//
// test_positive_cmi: a permutation test; statistic = the estimate, p = (1 + #{null >= observed}) /
// (1 + permutations). The null for I(X; Y) permutes the rows of x. For I(X; Y | Z) a plain
// permutation would also break X's dependence on Z and test I(X; Y, Z) = 0 instead, so x is
// shuffled only among samples close in z: the local permutation of Runge (2018, AISTATS,
// "Conditional independence testing based on a nearest-neighbor estimator of conditional mutual
// information"), with `shuffle_neighbors` z-neighbours per sample (0: plain permutation).
// Confidence levels above 1 - 1 / (1 + permutations) cannot be reached and are rejected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/info/estimator.h"

namespace mipp::info {

struct KsgOptions {
  // Affect results:
  // Neighbours per sample, >= 1. 3 as in Kraskov et al.'s recommendation (2-4) and scikit-learn;
  // larger k lowers the variance and raises the bias.
  int64_t k = 3;
  // Standard deviation of the Gaussian noise added to every standardised column, >= 0; 0 = none.
  // scikit-learn uses 1e-10 (times max(1, mean |column|)).
  double noise = 0;
  // Permutations of the test's null distribution, >= 1. The smallest reachable p-value is
  // 1 / (1 + permutations).
  int64_t permutations = 100;
  // Conditional test only: x is shuffled among each sample's `shuffle_neighbors` nearest
  // neighbours in z (itself included); 0 = plain permutation. 5, as in Runge (2018)'s experiments
  // (k_perm = 5-10).
  int64_t shuffle_neighbors = 5;
  // Drives the noise and the permutations.
  uint64_t seed = 0;

  // Affect speed only (both searches give identical results):
  // "auto": k-d trees when the joint space has at most `tree_max_dims` columns, else brute force;
  // "brute" or "tree" force one.
  std::string search = "auto";
  int64_t tree_max_dims = 3;
  // Memory of one brute-force tile of distances, MiB, >= 1.
  int64_t tile_mib = 64;
};

// Throws Error(kInvalidArgument) naming the field and value.
void validate(const KsgOptions& o);

// JSON with the field names above; from_json keeps the defaults of absent fields.
void to_json(nlohmann::json& j, const KsgOptions& o);
void from_json(const nlohmann::json& j, KsgOptions& o);

// Validates `o`, then returns the estimator; name() is "ksg". REQUIRES of the inputs, beyond
// estimator.h: n > k (else Error(kInvalidArgument)).
std::unique_ptr<Estimator> make_ksg_estimator(const KsgOptions& o = {});

}  // namespace mipp::info
