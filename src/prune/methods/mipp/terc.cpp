#include "prune/methods/mipp/terc.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "mipp/prune/budget.h"
#include "mipp/util/error.h"

namespace mipp::prune::mipp_method {

void to_json(nlohmann::json& j, const UnitRecord& r) {
  j = {{"unit", r.unit},
       {"visit", r.visit},
       {"information_alone", r.information_alone},
       {"information", r.information},
       {"loss_increase", r.loss_increase},
       {"statistic", r.statistic},
       {"log_p_value", r.log_p_value},
       {"decision", r.decision}};
}

void from_json(const nlohmann::json& j, UnitRecord& r) {
  j.at("unit").get_to(r.unit);
  j.at("visit").get_to(r.visit);
  j.at("information_alone").get_to(r.information_alone);
  j.at("information").get_to(r.information);
  j.at("loss_increase").get_to(r.loss_increase);
  j.at("statistic").get_to(r.statistic);
  j.at("log_p_value").get_to(r.log_p_value);
  j.at("decision").get_to(r.decision);
}

void to_json(nlohmann::json& j, const LayerDecision& d) {
  j = {{"group", d.group},      {"keep", d.keep},       {"units", d.units},         {"target_columns", d.target_columns},
       {"fits", d.fits},        {"seconds", d.seconds}, {"at_floor", d.at_floor}};
  if (!d.skipped.empty()) j["skipped"] = d.skipped;
}

void from_json(const nlohmann::json& j, LayerDecision& d) {
  j.at("group").get_to(d.group);
  j.at("keep").get_to(d.keep);
  j.at("units").get_to(d.units);
  j.at("target_columns").get_to(d.target_columns);
  j.at("fits").get_to(d.fits);
  j.at("seconds").get_to(d.seconds);
  j.at("at_floor").get_to(d.at_floor);
  d.skipped = j.value("skipped", std::string());
}

namespace {

bool keeps(const info::UnitTest& t, double lambda, double loss_threshold) {
  return t.log_p_value <= -lambda && t.loss_increase >= loss_threshold;
}

UnitRecord record_of(int64_t unit, int64_t visit, double information_alone, const info::UnitTest& t) {
  UnitRecord r;
  r.unit = unit;
  r.visit = visit;
  r.information_alone = information_alone;
  r.information = t.information;
  r.statistic = t.statistic;
  r.log_p_value = t.log_p_value;
  r.loss_increase = t.loss_increase;
  return r;
}

// The paper's order: each unit tested once, least informative alone first. Returns the indices
// into d.units of the removed units, in removal order.
std::vector<size_t> visit_by_information(info::Elimination& elimination, const std::vector<double>& alone, int64_t units,
                                         int64_t floor, double lambda, double loss_threshold, util::EventSink& sink,
                                         LayerDecision& d) {
  std::vector<int64_t> order(static_cast<size_t>(units));
  std::iota(order.begin(), order.end(), 0);
  // Least informative first; ties (dead units: 0) by index, so runs are deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return alone[static_cast<size_t>(a)] < alone[static_cast<size_t>(b)]; });
  int64_t active = units;
  std::vector<size_t> removed;
  for (size_t v = 0; v < order.size(); ++v) {
    const int64_t unit = order[v];
    UnitRecord r;
    if (active <= floor) {
      r = record_of(unit, static_cast<int64_t>(v), alone[static_cast<size_t>(unit)], {});
      r.decision = "floor";
      d.at_floor = true;
    } else {
      const info::UnitTest t = elimination.test(unit);
      r = record_of(unit, static_cast<int64_t>(v), alone[static_cast<size_t>(unit)], t);
      if (keeps(t, lambda, loss_threshold)) {
        r.decision = "kept";
      } else {
        elimination.remove(unit);
        r.decision = "removed";
        removed.push_back(v);
        --active;
      }
    }
    d.units.push_back(r);
    if (!sink.progress(static_cast<int64_t>(v) + 1, units)) MIPP_FAIL(kCancelled, "mipp: interrupted in layer {}", d.group);
  }
  return removed;
}

// Greedy: every step tests the units still kept and removes the removable one that costs least —
// not significant before significant, then the smaller loss increase, then the lower index — so
// the order of removals does not depend on the loss threshold, only where it stops does.
std::vector<size_t> visit_greedily(info::Elimination& elimination, const std::vector<double>& alone, int64_t units,
                                   int64_t floor, double lambda, double loss_threshold, util::EventSink& sink,
                                   LayerDecision& d) {
  std::vector<int64_t> active(static_cast<size_t>(units));
  std::iota(active.begin(), active.end(), 0);
  std::vector<size_t> removed;
  std::vector<info::UnitTest> tests(static_cast<size_t>(units));
  for (int64_t step = 0;; ++step) {
    if (static_cast<int64_t>(active.size()) <= floor) {
      d.at_floor = true;
      break;
    }
    int64_t best = -1;
    auto cheaper = [&](int64_t a, int64_t b) {
      const info::UnitTest &x = tests[static_cast<size_t>(a)], &y = tests[static_cast<size_t>(b)];
      const bool x_significant = x.log_p_value <= -lambda, y_significant = y.log_p_value <= -lambda;
      if (x_significant != y_significant) return !x_significant;
      return x.loss_increase < y.loss_increase;  // ties: the earlier (lower) index stays best
    };
    for (int64_t u : active) {
      tests[static_cast<size_t>(u)] = elimination.test(u);
      if (best < 0 || cheaper(u, best)) best = u;
    }
    if (keeps(tests[static_cast<size_t>(best)], lambda, loss_threshold)) break;  // the cheapest must stay: all must
    elimination.remove(best);
    UnitRecord r = record_of(best, step, alone[static_cast<size_t>(best)], tests[static_cast<size_t>(best)]);
    r.decision = "removed";
    removed.push_back(d.units.size());
    d.units.push_back(r);
    active.erase(std::find(active.begin(), active.end(), best));
    if (!sink.progress(static_cast<int64_t>(removed.size()), units)) {
      MIPP_FAIL(kCancelled, "mipp: interrupted in layer {}", d.group);
    }
  }
  // The units that stay, with the tests of the last step (at the floor: untested there).
  const auto last_step = static_cast<int64_t>(removed.size());
  for (int64_t u : active) {
    UnitRecord r = record_of(u, last_step, alone[static_cast<size_t>(u)],
                             d.at_floor ? info::UnitTest{} : tests[static_cast<size_t>(u)]);
    r.decision = d.at_floor ? "floor" : "kept";
    d.units.push_back(r);
  }
  if (!sink.progress(units, units)) MIPP_FAIL(kCancelled, "mipp: interrupted in layer {}", d.group);
  return removed;
}

}  // namespace

LayerDecision eliminate_units(info::Elimination& elimination, const std::string& group, int64_t units, int64_t floor,
                              int64_t round_to, double lambda, double loss_threshold, util::EventSink& sink,
                              Visit visit) {
  const auto start = std::chrono::steady_clock::now();
  LayerDecision d;
  d.group = group;
  const std::vector<double> alone = elimination.unit_information();
  std::vector<size_t> removed_visits =  // indices into d.units, in removal order
      visit == Visit::kGreedy
          ? visit_greedily(elimination, alone, units, floor, lambda, loss_threshold, sink, d)
          : visit_by_information(elimination, alone, units, floor, lambda, loss_threshold, sink, d);
  int64_t active = units - static_cast<int64_t>(removed_visits.size());
  // Channel multiples: the units removed last (the most informative, or the costliest) come back first.
  const int64_t wanted = round_up(active, round_to, units);
  for (; active < wanted && !removed_visits.empty(); ++active) {
    d.units[removed_visits.back()].decision = "round-to";
    removed_visits.pop_back();
  }
  for (const UnitRecord& r : d.units) {
    if (r.decision != "removed") d.keep.push_back(r.unit);
  }
  std::sort(d.keep.begin(), d.keep.end());
  d.fits = elimination.fits();
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

bool decides_the_same(const LayerDecision& d, double lambda, double loss_threshold) {
  if (!d.skipped.empty()) return true;
  for (const UnitRecord& r : d.units) {
    if (r.decision == "floor") continue;  // untested: reached only by the same earlier decisions
    const bool keep = r.log_p_value <= -lambda && r.loss_increase >= loss_threshold;  // keeps(), from the record
    if (keep != (r.decision == "kept")) return false;  // "round-to" units were removed in the elimination
  }
  return true;
}

void search_loss_threshold(double target, double tolerance, const std::function<double(double)>& removed_at) {
  search_increasing(1e-7, 1.0, target, tolerance, removed_at);
}

void search_increasing(double lo, double hi, double target, double tolerance,
                       const std::function<double(double)>& removed_at) {
  double removed = removed_at(lo), best_gap = std::fabs(removed - target);
  if (removed >= target) return;
  for (int step = 0; step < 40 && best_gap > tolerance && hi / lo > 1 + 1e-4; ++step) {
    const double mid = std::sqrt(lo * hi);
    removed = removed_at(mid);
    best_gap = std::min(best_gap, std::fabs(removed - target));
    (removed < target ? lo : hi) = mid;
  }
}

}  // namespace mipp::prune::mipp_method
