// TERC with MI ordering on one group: MIPP's per-layer decision (Westphal et al., §4.2-4.3).
//
// Units are visited least informative first (by their own MI with the target), so the most
// informative ones are tested last, when fewer others can stand in for them. Each visited unit is
// tested for information about the target beyond the units still kept; it stays only when the
// test is significant at the confidence level x, otherwise it is removed for good and later tests
// condition on fewer units. The level enters as lambda = -ln(1 - x): a unit stays when
// ln p <= -lambda (logs, because useful units have p-values far below 1e-308).
//
// A second, optional condition: the unit stays only when removing it raises the predictor's loss
// by at least `loss_threshold` (a fraction of the standardised target's variance). With thousands
// of calibration samples the test alone finds almost every unit significant, so how much is
// removed is set by this threshold; `--sparsity` mode searches it (see mipp_method.h).
//
// A variant of the visiting order, greedy: every step tests all units still kept and removes the
// one the rule lets go that costs least — units the test finds not significant first, then the
// smallest loss increase — until none can go. It costs a test of every kept unit per removal
// (O(d^2) tests instead of d) and chooses the way greedy subset selection does (as submodular
// selection does for its reconstruction error). The order of removals depends on lambda only; the
// threshold decides where it stops, so decides_the_same() holds for it as for the MI order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/info/elimination.h"
#include "mipp/util/events.h"

namespace mipp::prune::mipp_method {

enum class Visit {
  kInformationOrder,  // the paper's: each unit once, least informative alone first
  kGreedy,            // each step removes the removable unit whose removal costs least
};

struct UnitRecord {
  int64_t unit = 0;
  int64_t visit = 0;               // position in the MI ordering, or greedy step (0 = first)
  double information_alone = 0;    // I(unit; target), the ordering key
  double information = 0;          // I(unit; target | kept others) when (last) tested
  double loss_increase = 0;        // the loss proxy's rise when removed (fraction of target variance)
  double statistic = 0;
  double log_p_value = 0;
  std::string decision;            // "kept", "removed", "floor" (not tested: min width reached), "round-to"
};

struct LayerDecision {
  std::string group;
  std::vector<int64_t> keep;       // ascending
  std::vector<UnitRecord> units;   // in visiting order (greedy: removals in order, then the kept)
  int64_t target_columns = 0;
  int64_t fits = 0;
  double seconds = 0;
  bool at_floor = false;           // the min width stopped the elimination
  std::string skipped;             // why the group was not tested (kept whole); empty when it was
};

void to_json(nlohmann::json& j, const UnitRecord& r);
void from_json(const nlohmann::json& j, UnitRecord& r);
void to_json(nlohmann::json& j, const LayerDecision& d);
void from_json(const nlohmann::json& j, LayerDecision& d);

// Runs the elimination of `units` units in the `visit` order down to at least `floor` kept, at
// level `lambda` and `loss_threshold`; then,
// when round_to > 1, puts back the last removed units until the kept count is a multiple of it.
// Reports progress (units visited) to `sink`; throws Error(kCancelled) when the sink asks to stop.
LayerDecision eliminate_units(info::Elimination& elimination, const std::string& group, int64_t units, int64_t floor,
                              int64_t round_to, double lambda, double loss_threshold, util::EventSink& sink,
                              Visit visit = Visit::kInformationOrder);

// Whether a run at `lambda` and `loss_threshold` would decide every unit `d` tested the same way.
// The elimination is deterministic, so the same decisions mean the same visits, tests and kept set:
// a search can reuse `d` instead of refitting the layer (on the same target).
bool decides_the_same(const LayerDecision& d, double lambda, double loss_threshold);

// The loss threshold whose run removes `target` (a fraction, of whatever `removed_at` measures).
// Removal grows with the threshold (fewer units clear it), so this bisects its logarithm over
// [1e-7, 1] (1e-7 keeps about what the test alone keeps, 1 removes everything above the floors)
// until a run lands within `tolerance`, the bracket closes, or 40 steps. `removed_at(t)` runs the
// elimination at threshold t and returns what it removed; callers keep the closest run.
void search_loss_threshold(double target, double tolerance, const std::function<double(double)>& removed_at);

// The same bisection of a logarithm over any [lo, hi] whose runs remove more as the parameter
// grows (search_loss_threshold is it over [1e-7, 1]); returns at once when `lo` already removes
// `target` or more.
void search_increasing(double lo, double hi, double target, double tolerance,
                       const std::function<double(double)>& removed_at);

}  // namespace mipp::prune::mipp_method
