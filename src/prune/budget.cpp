#include "mipp/prune/budget.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/isfinite.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "mipp/util/error.h"

namespace mipp::prune {

namespace {

using graph::Analysis;
using graph::KeepSets;

// A group's scores as float64 on the CPU, for reading element by element (scores may come from
// the device).
at::Tensor host_scores(const at::Tensor& scores) { return scores.to(at::kCPU, at::kDouble).contiguous(); }

// Per group, its units from most to least important: score descending, then lower index first.
std::vector<std::vector<int64_t>> rank_units(const Analysis& a, const std::vector<at::Tensor>& scores) {
  std::vector<std::vector<int64_t>> order(a.groups.size());
  for (const graph::Group& g : a.groups) {
    const at::Tensor s = host_scores(scores[g.id]);
    const double* v = s.data_ptr<double>();
    order[g.id].resize(g.size);
    std::iota(order[g.id].begin(), order[g.id].end(), 0);
    std::stable_sort(order[g.id].begin(), order[g.id].end(), [&](int64_t x, int64_t y) { return v[x] > v[y]; });
  }
  return order;
}

KeepSets keep_top(const std::vector<std::vector<int64_t>>& order, const std::vector<int64_t>& counts) {
  KeepSets keep(order.size());
  for (size_t g = 0; g < order.size(); ++g) {
    keep[g].assign(order[g].begin(), order[g].begin() + counts[g]);
    std::sort(keep[g].begin(), keep[g].end());
  }
  return keep;
}

// Smallest x in [0, hi] with reaches(x), assuming reaches is monotone and reaches(hi) holds.
template <typename Fn>
int64_t smallest_reaching(int64_t hi, Fn&& reaches) {
  int64_t lo = 0;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (reaches(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace

void validate(const Budget& b) {
  MIPP_CHECK(b.sparsity >= 0 && b.sparsity < 1, kInvalidArgument, "--sparsity {}: must be in [0, 1)", b.sparsity);
  MIPP_CHECK(b.target == "units" || b.target == "params" || b.target == "macs", kInvalidArgument,
             "--target {}: use units, params or macs", b.target);
  MIPP_CHECK(b.scope == "global" || b.scope == "layer" || b.scope == "custom", kInvalidArgument,
             "--scope {}: use global, layer or a JSON file of per-layer sparsities", b.scope);
  MIPP_CHECK(b.max_layer_sparsity > 0 && b.max_layer_sparsity <= 1, kInvalidArgument,
             "--max-layer-sparsity {}: must be in (0, 1]", b.max_layer_sparsity);
  MIPP_CHECK(b.min_width >= 1, kInvalidArgument, "--min-width {}: a layer keeps at least 1 unit", b.min_width);
  MIPP_CHECK(b.min_width_fraction >= 0 && b.min_width_fraction < 1, kInvalidArgument,
             "min width fraction {}: must be in [0, 1)", b.min_width_fraction);
  MIPP_CHECK(b.round_to >= 1, kInvalidArgument, "--round-to {}: must be at least 1", b.round_to);
  for (const auto& [name, s] : b.layer_sparsity) {
    MIPP_CHECK(s >= 0 && s < 1, kInvalidArgument, "layer {}: sparsity {} must be in [0, 1)", name, s);
  }
  MIPP_CHECK(b.scope != "custom" || !b.layer_sparsity.empty(), kInvalidArgument,
             "the custom scope needs per-layer sparsities");
}

void to_json(nlohmann::json& j, const Budget& b) {
  j = {{"sparsity", b.sparsity},     {"target", b.target},         {"scope", b.scope},
       {"layer_sparsity", b.layer_sparsity}, {"max_layer_sparsity", b.max_layer_sparsity},
       {"min_width", b.min_width},   {"min_width_fraction", b.min_width_fraction}, {"round_to", b.round_to}};
}

double measure_sparsity(const graph::Network& net, const Analysis& analysis, const KeepSets& keep,
                        const std::string& target) {
  if (target == "units") {
    int64_t total = 0, kept = 0;
    for (const graph::Group& g : analysis.groups) {
      total += g.size;
      kept += static_cast<int64_t>(keep[g.id].size());
    }
    return total == 0 ? 0.0 : 1.0 - static_cast<double>(kept) / static_cast<double>(total);
  }
  const graph::Cost before = graph::total_cost(net);
  const graph::Cost after = graph::sliced_cost(net, analysis, keep);
  const bool params = target == "params";
  const double b = static_cast<double>(params ? before.params : before.macs);
  return b == 0 ? 0.0 : 1.0 - static_cast<double>(params ? after.params : after.macs) / b;
}

int64_t round_up(int64_t n, int64_t multiple, int64_t cap) {
  return std::min(cap, (n + multiple - 1) / multiple * multiple);
}

int64_t unit_floor(const graph::Group& g, const Budget& b) {
  const auto relative = static_cast<int64_t>(std::ceil(b.min_width_fraction * static_cast<double>(g.size) - 1e-9));
  const int64_t removable = static_cast<int64_t>(std::floor(b.max_layer_sparsity * static_cast<double>(g.size) + 1e-9));
  const int64_t floor = std::max({b.min_width, relative, g.size - removable, int64_t{1}});
  return round_up(std::min(floor, g.size), b.round_to, g.size);
}

Selection select_units(const graph::Network& net, const Analysis& analysis, const std::vector<at::Tensor>& scores,
                       const Budget& budget) {
  validate(budget);
  const auto& groups = analysis.groups;
  MIPP_CHECK(!groups.empty(), kInvalidArgument, "the model has no prunable groups");
  MIPP_CHECK(scores.size() == groups.size(), kInvalidArgument, "scores for {} groups, the model has {}", scores.size(),
             groups.size());
  for (const graph::Group& g : groups) {
    MIPP_CHECK(scores[g.id].dim() == 1 && scores[g.id].size(0) == g.size, kInvalidArgument,
               "group {}: {} scores for {} units", g.name, scores[g.id].numel(), g.size);
    MIPP_CHECK(at::isfinite(scores[g.id]).all().item<bool>(), kNumerical, "group {}: scores contain NaN or Inf",
               g.name);
  }
  std::vector<int64_t> floors(groups.size()), sizes(groups.size());
  for (const graph::Group& g : groups) {
    floors[g.id] = unit_floor(g, budget);
    sizes[g.id] = g.size;
  }
  const auto order = rank_units(analysis, scores);
  auto measure = [&](const std::vector<int64_t>& counts) {
    return measure_sparsity(net, analysis, keep_top(order, counts), budget.target);
  };
  if (budget.scope != "custom") {
    const double reachable = measure(floors);
    MIPP_CHECK(budget.sparsity <= reachable + 1e-12, kInvalidArgument,
               "--sparsity {} ({}): at most {:.4f} is reachable with min width {} and max layer sparsity {}",
               budget.sparsity, budget.target, reachable, budget.min_width, budget.max_layer_sparsity);
  }

  std::vector<int64_t> counts(groups.size());
  if (budget.scope == "custom") {
    for (const auto& entry : budget.layer_sparsity) {
      const std::string& name = entry.first;
      const bool known = std::any_of(groups.begin(), groups.end(), [&](const graph::Group& g) { return g.name == name; });
      MIPP_CHECK(known, kInvalidArgument, "per-layer sparsity for '{}': no group of that name", name);
    }
    for (const graph::Group& g : groups) {
      const auto it = budget.layer_sparsity.find(g.name);
      const double s = it == budget.layer_sparsity.end() ? 0.0 : it->second;
      const auto removed = static_cast<int64_t>(std::floor(s * static_cast<double>(g.size) + 1e-9));
      counts[g.id] = std::max(floors[g.id], round_up(g.size - removed, budget.round_to, g.size));
    }
  } else if (budget.scope == "layer") {
    // The same fraction f of units removed in every group; f = sparsity for a units target,
    // otherwise the smallest f (in 1/10000 steps) whose network sparsity reaches the target.
    auto counts_for = [&](double f) {
      std::vector<int64_t> c(groups.size());
      for (const graph::Group& g : groups) {
        const auto removed = static_cast<int64_t>(std::floor(f * static_cast<double>(g.size) + 1e-9));
        c[g.id] = std::max(floors[g.id], round_up(g.size - removed, budget.round_to, g.size));
      }
      return c;
    };
    constexpr int64_t kSteps = 10000;
    const int64_t step = budget.target == "units"
                             ? static_cast<int64_t>(std::llround(budget.sparsity * kSteps))
                             : smallest_reaching(kSteps, [&](int64_t k) {
                                 return measure(counts_for(static_cast<double>(k) / kSteps)) >= budget.sparsity;
                               });
    counts = counts_for(static_cast<double>(step) / kSteps);
  } else {
    // Global: remove the m least important units across all groups (never below a floor), with
    // the smallest m that reaches the target. Ties: lower score first, then later groups and
    // higher unit indices, so the order is total and deterministic.
    struct Candidate {
      double score;
      int group;
      int64_t rank;  // position in the group's order, most important first
    };
    std::vector<Candidate> candidates;
    for (const graph::Group& g : groups) {
      const at::Tensor s = host_scores(scores[g.id]);
      for (int64_t r = floors[g.id]; r < g.size; ++r) {
        candidates.push_back({s.data_ptr<double>()[order[g.id][r]], g.id, r});
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& x, const Candidate& y) {
      if (x.score != y.score) return x.score < y.score;
      if (x.group != y.group) return x.group > y.group;
      return x.rank > y.rank;
    });
    // Removing a unit of rank r removes every lower-ranked unit of its group too (keep-sets are
    // prefixes of the order), which the ascending scores already guarantee within a group.
    auto counts_after = [&](int64_t m) {
      std::vector<int64_t> c = sizes;
      for (int64_t i = 0; i < m; ++i) c[candidates[i].group] = std::min(c[candidates[i].group], candidates[i].rank);
      for (const graph::Group& g : groups) c[g.id] = round_up(c[g.id], budget.round_to, g.size);
      return c;
    };
    const auto n = static_cast<int64_t>(candidates.size());
    counts = counts_after(smallest_reaching(n, [&](int64_t m) { return measure(counts_after(m)) >= budget.sparsity; }));
  }

  Selection out;
  out.keep = keep_top(order, counts);
  out.achieved = measure_sparsity(net, analysis, out.keep, budget.target);
  for (const graph::Group& g : groups) {
    if (counts[g.id] == floors[g.id] && floors[g.id] < g.size) out.at_min_width.push_back(g.name);
  }
  return out;
}

}  // namespace mipp::prune
