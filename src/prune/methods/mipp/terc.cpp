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

LayerDecision eliminate_units(info::Elimination& elimination, const std::string& group, int64_t units, int64_t floor,
                              int64_t round_to, double lambda, double loss_threshold, util::EventSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  LayerDecision d;
  d.group = group;
  const std::vector<double> alone = elimination.unit_information();
  std::vector<int64_t> order(static_cast<size_t>(units));
  std::iota(order.begin(), order.end(), 0);
  // Least informative first; ties (dead units: 0) by index, so runs are deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return alone[static_cast<size_t>(a)] < alone[static_cast<size_t>(b)]; });

  int64_t active = units;
  std::vector<size_t> removed_visits;  // indices into d.units, in removal order
  for (size_t v = 0; v < order.size(); ++v) {
    UnitRecord r;
    r.unit = order[v];
    r.visit = static_cast<int64_t>(v);
    r.information_alone = alone[static_cast<size_t>(r.unit)];
    if (active <= floor) {
      r.decision = "floor";
      d.at_floor = true;
    } else {
      const info::UnitTest t = elimination.test(r.unit);
      r.information = t.information;
      r.statistic = t.statistic;
      r.log_p_value = t.log_p_value;
      r.loss_increase = t.loss_increase;
      if (t.log_p_value <= -lambda && t.loss_increase >= loss_threshold) {
        r.decision = "kept";
      } else {
        elimination.remove(r.unit);
        r.decision = "removed";
        removed_visits.push_back(v);
        --active;
      }
    }
    d.units.push_back(r);
    if (!sink.progress(static_cast<int64_t>(v) + 1, units)) MIPP_FAIL(kCancelled, "mipp: interrupted in layer {}", group);
  }
  // Channel multiples: the most informative of the removed units (removed last) come back first.
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
    const bool keep = r.log_p_value <= -lambda && r.loss_increase >= loss_threshold;
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
