#include "mipp/info/ksg.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/randn.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/columns.h"
#include "info/neighbor_counts.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"

namespace mipp::info {

namespace {

constexpr const char* kName = "ksg";

// digamma at the integers 1..size: psi(1) = -(Euler's constant), psi(m + 1) = psi(m) + 1/m.
// Exact up to rounding (relative error ~1e-15 at m = 1e5), and the estimates need nothing else.
std::vector<double> integer_digamma(int64_t size) {
  std::vector<double> psi(static_cast<size_t>(size + 1), 0.0);
  psi[1] = -0.57721566490153286061;
  for (int64_t m = 1; m < size; ++m) psi[static_cast<size_t>(m + 1)] = psi[static_cast<size_t>(m)] + 1.0 / m;
  return psi;
}

// Standardised inputs (constant columns dropped, optional noise); x or y empty when all its
// columns are constant, z undefined when it had none or all were constant.
struct Prepared {
  at::Tensor x, y, z;
  int64_t n = 0;
  bool constant() const { return x.size(1) == 0 || y.size(1) == 0; }
  int64_t dims() const { return x.size(1) + y.size(1) + (z.defined() ? z.size(1) : 0); }
};

struct Summary {
  double mean = 0;
  double std_error = 0;
};

Summary summarize(const std::vector<double>& terms) {
  const auto n = static_cast<double>(terms.size());
  double sum = 0;
  for (double t : terms) sum += t;
  Summary s;
  s.mean = sum / n;
  double squares = 0;
  for (double t : terms) squares += (t - s.mean) * (t - s.mean);
  s.std_error = terms.size() > 1 ? std::sqrt(squares / (n - 1) / n) : 0.0;
  return s;
}

class KsgEstimator final : public Estimator {
 public:
  explicit KsgEstimator(KsgOptions o) : o_(std::move(o)) {}

  std::string_view name() const override { return kName; }

  Estimate conditional_mutual_information(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) override {
    return estimate(x, y, z);
  }

  TestResult test_positive_cmi(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                               double confidence) override {
    check_confidence(kName, confidence);
    // Same rule as `significant` below, so an unreachable level fails loudly instead of never
    // keeping anything.
    MIPP_CHECK(1.0 - 1.0 / static_cast<double>(o_.permutations + 1) >= confidence, kInvalidArgument,
               "{}: confidence {} is unreachable with {} permutations (smallest p-value 1/{}); raise permutations",
               kName, confidence, o_.permutations, o_.permutations + 1);
    const Prepared p = prepare(x, y, z);
    TestResult r;
    if (p.constant()) return r;  // statistic 0, p 1: a constant carries no information
    r.statistic = summarize(terms(p, p.x)).mean;
    std::mt19937_64 rng(util::derive_seed(o_.seed, "permutation"));
    const at::Tensor neighbours = p.z.defined() && o_.shuffle_neighbors > 0
                                      ? nearest_indices(p.z, std::min(o_.shuffle_neighbors, p.n), tile_bytes())
                                      : at::Tensor();
    int64_t at_least = 0;
    for (int64_t b = 0; b < o_.permutations; ++b) {
      const at::Tensor perm = neighbours.defined() ? local_permutation(neighbours, rng) : permutation(p.n, rng);
      at_least += summarize(terms(p, p.x.index_select(0, perm).contiguous())).mean >= r.statistic;
    }
    r.p_value = static_cast<double>(1 + at_least) / static_cast<double>(1 + o_.permutations);
    r.significant = 1 - r.p_value >= confidence;
    return r;
  }

 private:
  int64_t tile_bytes() const { return o_.tile_mib << 20; }

  Prepared prepare(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) const {
    // check_inputs copies the inputs to the CPU (from any device), and everything after stays
    // there: the neighbour searches (k-d trees, brute-force tiles) are CPU code reading raw
    // pointers, and the noise and permutations come from CPU generators.
    const CheckedInputs in = check_inputs(kName, x, y, z);
    MIPP_CHECK(in.n() > o_.k, kInvalidArgument, "{}: {} samples are too few for k = {}: need n > k", kName, in.n(),
               o_.k);
    Prepared p;
    p.n = in.n();
    p.x = standardize_columns(in.x).data;
    p.y = standardize_columns(in.y).data;
    if (!p.x.defined()) p.x = at::empty({p.n, 0}, at::kDouble);
    if (!p.y.defined()) p.y = at::empty({p.n, 0}, at::kDouble);
    if (in.z.defined()) {
      at::Tensor sz = standardize_columns(in.z).data;
      if (sz.defined() && sz.size(1) > 0) p.z = sz;
    }
    if (o_.noise > 0) {
      at::Generator g = at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(o_.seed, "noise"));
      for (at::Tensor* t : {&p.x, &p.y, &p.z}) {
        if (t->defined() && t->size(1) > 0) *t = (*t + o_.noise * at::randn(t->sizes(), g, at::kDouble)).contiguous();
      }
    }
    return p;
  }

  NeighborSearch search_for(const Prepared& p) const {
    if (o_.search == "tree") return NeighborSearch::kTree;
    if (o_.search == "brute") return NeighborSearch::kBrute;
    return p.dims() <= o_.tree_max_dims ? NeighborSearch::kTree : NeighborSearch::kBrute;
  }

  // Per-sample terms of the estimate with `x` in place of p.x (the permutation test's shuffles).
  std::vector<double> terms(const Prepared& p, const at::Tensor& x) const {
    const std::vector<double> psi = integer_digamma(p.n + 1);
    const auto at = [&](int64_t m) { return psi[static_cast<size_t>(m)]; };
    std::vector<double> t(static_cast<size_t>(p.n));
    if (!p.z.defined()) {
      const auto c = neighbor_counts({x, p.y}, {{0}, {1}}, o_.k, search_for(p), tile_bytes());
      for (size_t i = 0; i < t.size(); ++i) t[i] = at(o_.k) + at(p.n) - at(c[0][i] + 1) - at(c[1][i] + 1);
    } else {
      const auto c = neighbor_counts({x, p.y, p.z}, {{0, 2}, {1, 2}, {2}}, o_.k, search_for(p), tile_bytes());
      for (size_t i = 0; i < t.size(); ++i) t[i] = at(o_.k) - at(c[0][i] + 1) - at(c[1][i] + 1) + at(c[2][i] + 1);
    }
    return t;
  }

  static at::Tensor permutation(int64_t n, std::mt19937_64& rng) {
    at::Tensor perm = at::arange(n, at::kLong);
    int64_t* p = perm.data_ptr<int64_t>();
    std::shuffle(p, p + n, rng);
    return perm;
  }

  // Runge (2018), algorithm 1: visit samples in random order; sample i takes the x of a random
  // not-yet-taken sample among its z-neighbours, or of a random neighbour if all are taken (so
  // the result may repeat rows: it is a shuffle, not always a permutation).
  static at::Tensor local_permutation(const at::Tensor& neighbours, std::mt19937_64& rng) {
    const int64_t n = neighbours.size(0), m = neighbours.size(1);
    const int64_t* nb = neighbours.data_ptr<int64_t>();
    std::vector<int64_t> visit(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) visit[static_cast<size_t>(i)] = i;
    std::shuffle(visit.begin(), visit.end(), rng);
    std::vector<char> taken(static_cast<size_t>(n), 0);
    std::vector<int64_t> candidates(static_cast<size_t>(m));
    at::Tensor perm = at::empty({n}, at::kLong);
    int64_t* p = perm.data_ptr<int64_t>();
    for (int64_t i : visit) {
      std::copy_n(nb + i * m, m, candidates.begin());
      std::shuffle(candidates.begin(), candidates.end(), rng);
      int64_t j = candidates.back();
      for (int64_t c : candidates) {
        if (!taken[static_cast<size_t>(c)]) {
          j = c;
          break;
        }
      }
      taken[static_cast<size_t>(j)] = 1;
      p[i] = j;
    }
    return perm;
  }

  Estimate estimate(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) const {
    const Prepared p = prepare(x, y, z);
    Estimate e;
    e.samples = p.n;
    if (p.constant()) return e;
    const Summary s = summarize(terms(p, p.x));
    e.value = s.mean;
    e.std_error = s.std_error;
    MIPP_CHECK(std::isfinite(e.value) && std::isfinite(e.std_error), kNumerical,
               "{}: estimate is {} (std error {}) for {} samples", kName, e.value, e.std_error, p.n);
    return e;
  }

  KsgOptions o_;
};

}  // namespace

void validate(const KsgOptions& o) {
  MIPP_CHECK(o.k >= 1, kInvalidArgument, "ksg k {}: must be >= 1", o.k);
  MIPP_CHECK(o.noise >= 0 && std::isfinite(o.noise), kInvalidArgument, "ksg noise {}: must be finite and >= 0",
             o.noise);
  MIPP_CHECK(o.permutations >= 1, kInvalidArgument, "ksg permutations {}: must be >= 1", o.permutations);
  MIPP_CHECK(o.shuffle_neighbors >= 0, kInvalidArgument, "ksg shuffle_neighbors {}: must be >= 0",
             o.shuffle_neighbors);
  MIPP_CHECK(o.search == "auto" || o.search == "brute" || o.search == "tree", kInvalidArgument,
             "ksg search '{}': use auto, brute or tree", o.search);
  MIPP_CHECK(o.tree_max_dims >= 0, kInvalidArgument, "ksg tree_max_dims {}: must be >= 0", o.tree_max_dims);
  MIPP_CHECK(o.tile_mib >= 1 && o.tile_mib <= (int64_t{1} << 20), kInvalidArgument,
             "ksg tile_mib {}: must be in [1, 1048576]", o.tile_mib);
}

void to_json(nlohmann::json& j, const KsgOptions& o) {
  j = {{"k", o.k},
       {"noise", o.noise},
       {"permutations", o.permutations},
       {"shuffle_neighbors", o.shuffle_neighbors},
       {"seed", o.seed},
       {"search", o.search},
       {"tree_max_dims", o.tree_max_dims},
       {"tile_mib", o.tile_mib}};
}

void from_json(const nlohmann::json& j, KsgOptions& o) {
  o.k = j.value("k", o.k);
  o.noise = j.value("noise", o.noise);
  o.permutations = j.value("permutations", o.permutations);
  o.shuffle_neighbors = j.value("shuffle_neighbors", o.shuffle_neighbors);
  o.seed = j.value("seed", o.seed);
  o.search = j.value("search", o.search);
  o.tree_max_dims = j.value("tree_max_dims", o.tree_max_dims);
  o.tile_mib = j.value("tile_mib", o.tile_mib);
}

std::unique_ptr<Estimator> make_ksg_estimator(const KsgOptions& o) {
  validate(o);
  return std::make_unique<KsgEstimator>(o);
}

}  // namespace mipp::info
