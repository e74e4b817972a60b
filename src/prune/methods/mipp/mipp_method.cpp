#include "prune/methods/mipp/mipp_method.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/Parallel.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/one_hot.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <fmt/ranges.h>

#include "mipp/graph/cost.h"
#include "mipp/graph/slice.h"
#include "mipp/info/elimination.h"
#include "mipp/util/record_log.h"
#include "mipp/util/error.h"
#include "prune/methods/mipp/target_components.h"
#include "prune/methods/mipp/terc.h"
#include "prune/methods/mipp/unit_features.h"

namespace mipp::prune {

namespace {

using nlohmann::json;
using mipp_method::CalibrationFeatures;
using mipp_method::LayerDecision;

struct MippOptions {
  // "sparsity": search the loss threshold that reaches the budget's sparsity; "confidence": use
  // confidence and loss_threshold as given and let the sparsity emerge.
  std::string mode = "sparsity";
  double confidence = 0.95;
  double loss_threshold = 0;
  std::string estimator = "linear";
  json estimator_options = json::object();
  std::string target = "logits";
  int64_t pool = 1;
  int64_t batch_size = 256;
  double search_tolerance = 0.005;
  // Targets wider than this are reduced to their leading principal components (target_components.h);
  // 0 keeps every column. 256 leaves the zoo's LeNets, VGG-11 (x0.5) and ResNet-20 untouched.
  int64_t target_components = 256;
  // "outputs-first" (the paper's): each group's target is the next groups' kept units.
  // "inputs-first": groups from the input on, each explaining the next groups unpruned.
  std::string order = "outputs-first";
  // What of the next layer a group's units must explain: "activations" (what the layer after it
  // reads: after batch-norm and activation) or "pre-activations" (before the activation; a residual
  // group, read only after its sum, gives its activations).
  std::string next_layer = "activations";
  // What the loss threshold is measured against: "unit" (the paper's: every unit must raise the
  // loss by the same amount to stay) or "cost": the threshold scaled by what one unit of the layer
  // costs — its parameters, or its MACs when the budget's target is MACs — relative to the mean
  // unit, so that every layer stops at the same loss per parameter (or per MAC) removed and a
  // wide, cheap layer is not cut harder than a narrow, costly one.
  std::string threshold_per = "unit";
  // How the target's columns weigh in the loss: "equal" (standardised: every next-layer unit counts
  // the same) or "variance" (each column by its variance: the loss is the squared error of the
  // target in its own scale — with next_layer pre-activations, what a least-squares refit of the
  // next layer minimises; see --reweight). The test's p-values do not change. Linear estimator only.
  std::string target_weighting = "equal";
  // The order units are tested in (terc.h): "information" (the paper's: each unit once, least
  // informative alone first) or "greedy" (every step removes the removable unit that costs least).
  std::string visit = "information";
  // What a group feeding a residual sum explains: "stage" (the kept channels of the residual group,
  // wherever they are read after the sum) or "branch" (block-local: what the producers it feeds add
  // to the sum, before it, on the kept channels — a block's inner conv explains its own block's
  // residual branch, not the stage's channels, which include the block's input).
  std::string residual_target = "stage";
  // How wide each layer ends: "test" (the paper's: one loss threshold for every layer, widths
  // emerge) or "uniform": every layer removes the budget's fraction of its units (the layer scope's
  // widths) and the test decides only which units go. A --scope layer or per-group budget fixes
  // the widths the same way whatever this says.
  std::string widths = "test";
};

// Throws naming the option when `value` is not one of `choices`.
void check_choice(const char* option, const std::string& value, const std::vector<std::string>& choices) {
  MIPP_CHECK(std::find(choices.begin(), choices.end(), value) != choices.end(), kInvalidArgument,
             "method mipp: {} '{}': use {}", option, value, fmt::join(choices, " or "));
}

MippOptions parse_options(const json& j) {
  static const std::vector<std::string> keys = {"mode", "confidence", "loss_threshold", "estimator", "estimator_options",
                                                "target", "pool", "batch_size", "search_tolerance",
                                                "target_components", "order", "next_layer", "threshold_per",
                                                "target_weighting", "visit", "residual_target", "widths"};
  for (const auto& [key, value] : j.items()) {
    MIPP_CHECK(std::find(keys.begin(), keys.end(), key) != keys.end(), kInvalidArgument,
               "method mipp: unknown option '{}' (it has: {})", key, fmt::join(keys, ", "));
  }
  MippOptions o;
  o.mode = j.value("mode", o.mode);
  o.confidence = j.value("confidence", o.confidence);
  o.loss_threshold = j.value("loss_threshold", o.loss_threshold);
  o.estimator = j.value("estimator", o.estimator);
  o.estimator_options = j.value("estimator_options", o.estimator == "linear" ? json{{"ridge", 1e-6}} : json::object());
  o.target = j.value("target", o.target);
  o.pool = j.value("pool", o.pool);
  o.batch_size = j.value("batch_size", o.batch_size);
  o.search_tolerance = j.value("search_tolerance", o.search_tolerance);
  o.target_components = j.value("target_components", o.target_components);
  o.order = j.value("order", o.order);
  o.next_layer = j.value("next_layer", o.next_layer);
  o.threshold_per = j.value("threshold_per", o.threshold_per);
  o.target_weighting = j.value("target_weighting", o.target_weighting);
  o.visit = j.value("visit", o.visit);
  o.residual_target = j.value("residual_target", o.residual_target);
  o.widths = j.value("widths", o.widths);
  check_choice("mode", o.mode, {"sparsity", "confidence"});
  MIPP_CHECK(o.confidence > 0 && o.confidence < 1, kInvalidArgument, "--confidence {}: must be in (0, 1)", o.confidence);
  MIPP_CHECK(o.loss_threshold >= 0 && o.loss_threshold < 1, kInvalidArgument,
             "method mipp: loss_threshold {}: must be in [0, 1)", o.loss_threshold);
  const auto& estimators = info::elimination_estimators();
  MIPP_CHECK(std::find(estimators.begin(), estimators.end(), o.estimator) != estimators.end(), kInvalidArgument,
             "method mipp: estimator '{}' cannot drive the elimination (use one of: {})", o.estimator,
             fmt::join(estimators, ", "));
  MIPP_CHECK(o.target == "logits" || o.target == "softmax" || o.target == "labels", kInvalidArgument,
             "method mipp: target '{}': use logits, softmax or labels", o.target);
  MIPP_CHECK(o.pool >= 1 && o.pool <= 8, kInvalidArgument, "method mipp: pool {}: must be in 1..8", o.pool);
  MIPP_CHECK(o.batch_size >= 1, kInvalidArgument, "method mipp: batch_size {}: must be at least 1", o.batch_size);
  MIPP_CHECK(o.search_tolerance > 0 && o.search_tolerance < 0.5, kInvalidArgument,
             "method mipp: search_tolerance {}: must be in (0, 0.5)", o.search_tolerance);
  check_choice("order", o.order, {"outputs-first", "inputs-first"});
  check_choice("next_layer", o.next_layer, {"activations", "pre-activations"});
  check_choice("threshold_per", o.threshold_per, {"unit", "cost"});
  check_choice("target_weighting", o.target_weighting, {"equal", "variance"});
  MIPP_CHECK(o.target_weighting == "equal" || o.estimator == "linear", kInvalidArgument,
             "method mipp: target_weighting variance needs the linear estimator, not {}", o.estimator);
  check_choice("visit", o.visit, {"information", "greedy"});
  check_choice("residual_target", o.residual_target, {"stage", "branch"});
  check_choice("widths", o.widths, {"test", "uniform"});
  MIPP_CHECK(o.widths == "test" || (o.mode == "sparsity" && o.threshold_per == "unit"), kInvalidArgument,
             "method mipp: widths uniform fixes every layer's width from the budget; it takes neither mode "
             "confidence nor threshold_per cost");
  MIPP_CHECK(o.target_components >= 0, kInvalidArgument,
             "method mipp: target_components {}: must be at least 0 (0 = no reduction)", o.target_components);
  return o;
}

json options_json(const MippOptions& o) {
  return {{"mode", o.mode},
          {"confidence", o.confidence},
          {"loss_threshold", o.loss_threshold},
          {"estimator", o.estimator},
          {"estimator_options", o.estimator_options},
          {"target", o.target},
          {"pool", o.pool},
          {"batch_size", o.batch_size},
          {"search_tolerance", o.search_tolerance},
          {"target_components", o.target_components},
          {"order", o.order},
          {"next_layer", o.next_layer},
          {"threshold_per", o.threshold_per},
          {"target_weighting", o.target_weighting},
          {"visit", o.visit},
          {"residual_target", o.residual_target},
          {"widths", o.widths}};
}

// "MIPP (linear-Gaussian)" for the default; "MIPP (paper mode)" for the paper's procedure (MLP
// predictors, the confidence level deciding the widths); any other pairing of estimator and mode
// names both. Then every option that changes which units are kept and differs from its default,
// so a variant is named by its option ("MIPP (linear-Gaussian, next_layer pre-activations)").
std::string title_of(const MippOptions& o) {
  const MippOptions d = parse_options(json{{"estimator", o.estimator}});
  std::vector<std::string> parts;
  const std::string estimator = o.estimator == "linear" ? "linear-Gaussian" : o.estimator + " estimator";
  if (o.estimator == "linear" && o.mode == "sparsity") {
    parts.push_back(estimator);
  } else if (o.estimator == "mlp" && o.mode == "confidence") {
    parts.emplace_back("paper mode");
  } else {
    parts.push_back(fmt::format("{}, {} mode", estimator, o.mode));
  }
  if (o.estimator_options != d.estimator_options) parts.push_back("estimator_options " + o.estimator_options.dump());
  if (o.confidence != d.confidence) parts.push_back(fmt::format("confidence {:g}", o.confidence));
  if (o.mode == "confidence" && o.loss_threshold != d.loss_threshold) {
    parts.push_back(fmt::format("loss_threshold {:g}", o.loss_threshold));
  }
  if (o.target != d.target) parts.push_back("target " + o.target);
  if (o.pool != d.pool) parts.push_back(fmt::format("pool {}", o.pool));
  if (o.target_components != d.target_components) parts.push_back(fmt::format("target_components {}", o.target_components));
  if (o.order != d.order) parts.push_back("order " + o.order);
  if (o.next_layer != d.next_layer) parts.push_back("next_layer " + o.next_layer);
  if (o.threshold_per != d.threshold_per) parts.push_back("threshold_per " + o.threshold_per);
  if (o.target_weighting != d.target_weighting) parts.push_back("target_weighting " + o.target_weighting);
  if (o.visit != d.visit) parts.push_back("visit " + o.visit);
  if (o.residual_target != d.residual_target) parts.push_back("residual_target " + o.residual_target);
  if (o.widths != d.widths) parts.push_back("widths " + o.widths);
  return fmt::format("MIPP ({})", fmt::join(parts, ", "));
}

// Runs a scope with one intra-op thread. The elimination's algebra is on small matrices (a few
// hundred columns), where OpenMP fork/join in the BLAS costs more than it saves; on a loaded
// machine a LeNet-5 run took 4x longer with 2 threads than with 1.
class SingleThreaded {
 public:
  SingleThreaded() : threads_(at::get_num_threads()) { at::set_num_threads(1); }
  ~SingleThreaded() { at::set_num_threads(threads_); }
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;

 private:
  int threads_;
};

// Groups from the network's outputs back to its inputs: by their last producer, latest first. In a
// chain this is exact; a residual stage (producers spread over the stage) comes before the blocks
// inside it, whose targets then include the stage's decided units.
std::vector<int> output_to_input_order(const graph::Analysis& a) {
  std::vector<int> order;
  for (const graph::Group& g : a.groups) order.push_back(g.id);
  auto last_producer = [&](int g) {
    const auto& p = a.groups[static_cast<size_t>(g)].producers;
    return *std::max_element(p.begin(), p.end());
  };
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return last_producer(x) > last_producer(y); });
  return order;
}

// Decisions appended as they are made: a "fingerprint" record first (everything that changes
// them), then one record per loss threshold and group, so --resume continues only a run of the
// same problem. An append costs one decision, not the whole history: a ResNet-50 search makes
// hundreds of them.
class Checkpoint {
 public:
  Checkpoint(const std::string& path, bool resume, const json& fingerprint) {
    if (path.empty()) return;
    std::error_code ignored;
    if (!resume) std::filesystem::remove(path, ignored);  // a fresh run starts a fresh log
    log_.emplace(path);
    const json* saved = log_->find("fingerprint");
    if (saved == nullptr) {
      log_->append({{"key", "fingerprint"}, {"fingerprint", fingerprint}});
      return;
    }
    MIPP_CHECK(saved->at("fingerprint") == fingerprint, kInvalidArgument,
               "{}: the checkpoint is of another model, calibration set or options; remove it or drop --resume", path);
  }

  std::optional<LayerDecision> find(double threshold, double confidence, const std::string& group) const {
    const json* saved = log_ ? log_->find(key(threshold, confidence, group)) : nullptr;
    if (saved == nullptr) return std::nullopt;
    return saved->at("decision").get<LayerDecision>();
  }

  void save(double threshold, double confidence, const LayerDecision& d) {
    if (log_) log_->append({{"key", key(threshold, confidence, d.group)}, {"decision", d}});
  }

 private:
  // The exact setting of a run, and the group.
  static std::string key(double threshold, double confidence, const std::string& group) {
    return fmt::format("{:.17g} {:.17g} {}", threshold, confidence, group);
  }

  std::optional<util::RecordLog> log_;
};

class MippMethod final : public Method {
 public:
  explicit MippMethod(MippOptions o) : o_(std::move(o)) {}

  std::string_view name() const override { return "mipp"; }
  bool needs_data() const override { return true; }
  bool needs_labels() const override { return o_.target == "labels"; }
  int64_t default_calibration_samples() const override { return 2048; }
  bool uses_budget_sparsity() const override { return o_.mode == "sparsity"; }
  json options() const override { return options_json(o_); }
  std::string title() const override { return title_of(o_); }
  json details() const override { return details_; }

  std::vector<at::Tensor> score(const MethodInputs&) override {
    MIPP_FAIL(kNotSupported, "method mipp selects units by a test, not by scores; use select()");
  }

  Selection select(const MethodInputs& in, const Budget& budget) override {
    const bool fixed_widths = o_.widths == "uniform" || budget.scope != "global";
    MIPP_CHECK(!fixed_widths || (o_.mode == "sparsity" && o_.threshold_per == "unit"), kInvalidArgument,
               "--scope {}: fixes every layer's width, which mipp's confidence mode and threshold_per cost decide "
               "themselves; use --scope global or --sparsity",
               budget.scope);
    const auto start = std::chrono::steady_clock::now();
    const graph::Analysis& a = in.analysis;
    const CalibrationFeatures features =
        mipp_method::compute_features(in.net, a, *in.calibration, o_.pool, o_.batch_size,
                                      o_.next_layer == "pre-activations", in.sink, o_.residual_target == "branch");
    json fingerprint = {{"options", options_json(o_)},
                        {"budget", budget},
                        {"seed", in.seed},
                        {"output_sum", features.output.to(at::kDouble).sum().item<double>()},
                        {"samples", features.output.size(0)}};
    Checkpoint checkpoint(in.checkpoint_path, in.resume, fingerprint);
    std::vector<int> order = output_to_input_order(a);
    if (o_.order == "inputs-first") std::reverse(order.begin(), order.end());
    const Plan plan = make_plan(in, features, budget);

    const SingleThreaded single_threaded;
    DecisionCache decided;
    auto run = [&](double threshold, double confidence) {
      return run_at(in, features, order, plan, budget, threshold, confidence, checkpoint, decided);
    };
    Run best;
    json trace = json::array();
    int64_t search_fits = 0;
    auto record = [&](const Run& r) {
      search_fits += r.fits_made;
      trace.push_back({{"loss_threshold", r.threshold},
                       {"confidence", r.confidence},
                       {"achieved", r.achieved},
                       {"estimator_fits", r.fits_made}});
    };
    if (fixed_widths) {
      best = run_to_widths(in, features, order, plan, budget, layer_widths(in, budget), checkpoint, decided, trace);
      search_fits = best.fits_made;
    } else if (o_.mode == "confidence") {
      best = run(o_.loss_threshold, o_.confidence);
      record(best);
    } else {
      best = search(in, budget, plan, run, record);
    }

    Selection s;
    for (const LayerDecision& d : best.layers) s.keep.push_back(d.keep);
    s.achieved = best.achieved;
    std::vector<std::string> whole;
    for (size_t g = 0; g < a.groups.size(); ++g) {
      if (best.layers[g].at_floor) s.at_min_width.push_back(a.groups[g].name);
      if (!best.layers[g].skipped.empty()) {
        whole.push_back(a.groups[g].name);
        in.sink.message(util::LogLevel::kWarn, fmt::format("mipp: {}: {}", a.groups[g].name, best.layers[g].skipped));
      }
    }
    json layers = json::array();
    int64_t fits = 0;
    for (int g : order) {
      layers.push_back(best.layers[static_cast<size_t>(g)]);
      fits += best.layers[static_cast<size_t>(g)].fits;
    }
    details_ = {{"mode", o_.mode},
                {"confidence", best.confidence},
                {"loss_threshold", best.threshold},
                {"achieved", best.achieved},  // of the tested groups, for a units budget
                {"kept_whole", whole},
                {"estimator_fits", fits},
                {"search_estimator_fits", search_fits},
                {"search", trace},
                {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
                {"layers", layers}};
    if (fixed_widths) {
      // No one threshold: each layer's is in its search record, beside its width.
      details_["loss_threshold"] = nullptr;
      details_["widths"] = budget.scope == "global" ? "uniform" : "scope " + budget.scope;
    }
    if (o_.threshold_per == "cost") {
      json scales = json::object();
      for (const graph::Group& g : a.groups) scales[g.name] = plan.threshold_scale[static_cast<size_t>(g.id)];
      details_["threshold_scale"] = scales;  // the loss threshold of a group is loss_threshold times this
    }
    if (o_.mode == "sparsity" && std::fabs(best.achieved - budget.sparsity) > 0.01) {
      const std::string why = whole.empty() ? "the test's decisions move in steps at this level"
                                            : fmt::format("{} kept whole: more calibration samples let mipp test them",
                                                          fmt::join(whole, ", "));
      in.sink.message(util::LogLevel::kWarn,
                      fmt::format("mipp: reached sparsity {:.4f}, more than 1 point from the requested {:.4f} ({})",
                                  best.achieved, budget.sparsity, why));
    }
    return s;
  }

 private:
  // What every run shares: the floors, the groups too wide for the calibration set (kept whole,
  // with the reason), and the analysis whose groups a `units` budget counts — the tested ones, as
  // frozen groups are left out of it, so that "50%" means half of what mipp could decide.
  struct Plan {
    std::vector<int64_t> floors;
    std::vector<std::string> whole;  // by group id; empty when the group is tested
    graph::Analysis counted;
    // By group id: the factor of the loss threshold for its units (threshold_per); all 1 for "unit".
    std::vector<double> threshold_scale;
    // The loss thresholds a search spans: from about what the test alone keeps to removing every
    // unit above the floors, [1e-7, 1] divided by the largest and the smallest scale.
    double lowest_threshold = 1e-7, highest_threshold = 1;
  };

  Plan make_plan(const MethodInputs& in, const CalibrationFeatures& f, const Budget& budget) const {
    const graph::Analysis& a = in.analysis;
    Plan plan;
    plan.counted = a;
    plan.counted.groups.clear();
    const std::vector<std::optional<std::vector<int64_t>>> all_kept(a.groups.size());
    const int64_t samples = f.output.size(0);
    int64_t most_needed = 0;
    for (const graph::Group& g : a.groups) {
      // The target only narrows as downstream units go, so its full width decides once for all runs.
      const int64_t columns = f.groups[static_cast<size_t>(g.id)].columns.size(1);
      int64_t targets = target_for(in, f, g.id, all_kept).size(1);
      if (o_.target_components > 0) targets = std::min(targets, o_.target_components);
      const int64_t needed = info::elimination_min_samples(o_.estimator, columns, targets);
      most_needed = std::max(most_needed, needed);
      if (samples < needed) {
        plan.whole.push_back(fmt::format("kept whole: its {} unit columns and {} target columns need at least {} "
                                         "calibration samples for the {} estimator, {} given (--calib-samples)",
                                         columns, targets, needed, o_.estimator, samples));
        plan.floors.push_back(g.size);
        if (budget.target != "units") plan.counted.groups.push_back(g);
      } else {
        plan.whole.emplace_back();
        plan.floors.push_back(unit_floor(g, budget));
        plan.counted.groups.push_back(g);
      }
    }
    const bool none_tested =
        std::all_of(plan.whole.begin(), plan.whole.end(), [](const std::string& w) { return !w.empty(); });
    MIPP_CHECK(!none_tested, kInvalidArgument,
               "mipp: {} calibration samples are too few to test any layer with the {} estimator; {} test every layer "
               "(--calib-samples), or lower target_components",
               samples, o_.estimator, most_needed);
    plan.threshold_scale.assign(a.groups.size(), 1.0);
    if (o_.threshold_per == "cost") {
      const std::vector<double> cost = unit_costs(in.net, a, budget.target == "macs");
      double units = 0, total = 0;
      for (const graph::Group& g : a.groups) {
        if (!plan.whole[static_cast<size_t>(g.id)].empty()) continue;
        units += static_cast<double>(g.size);
        total += static_cast<double>(g.size) * cost[static_cast<size_t>(g.id)];
      }
      double smallest = 1, largest = 1;
      for (const graph::Group& g : a.groups) {
        if (!plan.whole[static_cast<size_t>(g.id)].empty()) continue;
        // A unit that costs nothing (a MACs target and a layer without MACs) still needs a loss rise to stay.
        const double scale = std::max(cost[static_cast<size_t>(g.id)] * units / total, 1e-3);
        plan.threshold_scale[static_cast<size_t>(g.id)] = scale;
        smallest = std::min(smallest, scale);
        largest = std::max(largest, scale);
      }
      plan.lowest_threshold = 1e-7 / largest;
      plan.highest_threshold = 1 / smallest;
    }
    return plan;
  }

  // What one unit of each group costs at full width (parameters, or MACs per sample): the network's
  // cost less its cost with one unit of that group removed.
  static std::vector<double> unit_costs(const graph::Network& net, const graph::Analysis& a, bool macs) {
    graph::KeepSets all;
    for (const graph::Group& g : a.groups) {
      std::vector<int64_t> k(static_cast<size_t>(g.size));
      std::iota(k.begin(), k.end(), 0);
      all.push_back(k);
    }
    const graph::Cost full = graph::total_cost(net);
    std::vector<double> cost;
    for (const graph::Group& g : a.groups) {
      graph::KeepSets one_less = all;
      one_less[static_cast<size_t>(g.id)].pop_back();
      const graph::Cost c = graph::sliced_cost(net, a, one_less);
      cost.push_back(static_cast<double>(macs ? full.macs - c.macs : full.params - c.params));
    }
    return cost;
  }

  // Units each group keeps when the budget fixes the widths: the layer scope's counts (the same
  // fraction of every group, for params or MACs the one that reaches the target) or a per-group
  // scope's; a global budget is taken as the layer scope (widths uniform).
  static std::vector<int64_t> layer_widths(const MethodInputs& in, const Budget& budget) {
    Budget by_layer = budget;
    if (by_layer.scope == "global") by_layer.scope = "layer";
    std::vector<at::Tensor> no_scores;  // which units select_units keeps does not matter, only how many
    for (const graph::Group& g : in.analysis.groups) no_scores.push_back(at::zeros({g.size}));
    const Selection counts = select_units(in.net, in.analysis, no_scores, by_layer);
    std::vector<int64_t> widths;
    for (const auto& k : counts.keep) widths.push_back(static_cast<int64_t>(k.size()));
    return widths;
  }

  struct Run {
    double threshold = 0;
    double confidence = 0;
    std::vector<LayerDecision> layers;  // by group id
    double achieved = 0;
    int64_t fits_made = 0;  // by this run: decisions reused or read from the checkpoint made none
  };

  // Where group g's target comes from: the groups its consumers produce, and whether the network's
  // output is part of it (a consumer that produces no group: the classifier, or a frozen layer).
  struct TargetSources {
    std::vector<int> groups;
    bool output = false;
  };

  static TargetSources target_sources(const graph::Analysis& a, int g) {
    TargetSources s;
    for (const graph::ChannelSlice& c : a.groups[static_cast<size_t>(g)].consumers) {
      int produced = -1;
      for (const graph::Group& h : a.groups) {
        if (std::find(h.producers.begin(), h.producers.end(), c.node) != h.producers.end()) produced = h.id;
      }
      if (produced < 0 || produced == g) {
        s.output = true;
      } else if (std::find(s.groups.begin(), s.groups.end(), produced) == s.groups.end()) {
        s.groups.push_back(produced);
      }
    }
    if (s.groups.empty()) s.output = true;
    return s;
  }

  // The target group g's units must explain: the decided (kept) units of every group its
  // consumers produce, and the network's output where target_sources says so.
  at::Tensor target_for(const MethodInputs& in, const CalibrationFeatures& f, int g,
                        const std::vector<std::optional<std::vector<int64_t>>>& kept) const {
    const TargetSources sources = target_sources(in.analysis, g);
    std::vector<at::Tensor> pieces;
    for (int produced : sources.groups) {
      const auto& hf = f.groups[static_cast<size_t>(produced)];
      const auto& units = kept[static_cast<size_t>(produced)];
      const auto units_total = static_cast<int64_t>(hf.unit_columns.size());
      auto is_kept = [&](int64_t u) { return !units || std::binary_search(units->begin(), units->end(), u); };
      // Unit-major pooled values of the kept units: the columns of a pre-activation or branch tensor.
      auto kept_columns = [&](const at::Tensor& t) {
        const int64_t per_unit = t.size(1) / units_total;
        std::vector<int64_t> columns;
        for (int64_t u = 0; u < units_total; ++u) {
          for (int64_t j = 0; j < per_unit && is_kept(u); ++j) columns.push_back(u * per_unit + j);
        }
        return t.index_select(1, at::tensor(columns, at::kLong));
      };
      if (!hf.branches.empty()) {  // residual_target branch: the branches g's consumers produce
        const graph::Group& h = in.analysis.groups[static_cast<size_t>(produced)];
        for (const graph::ChannelSlice& c : in.analysis.groups[static_cast<size_t>(g)].consumers) {
          const auto it = std::find(h.producers.begin(), h.producers.end(), c.node);
          if (it != h.producers.end()) pieces.push_back(kept_columns(hf.branches[static_cast<size_t>(it - h.producers.begin())]));
        }
        continue;
      }
      if (hf.pre_activations.defined()) {
        pieces.push_back(kept_columns(hf.pre_activations));
        continue;
      }
      std::vector<int64_t> columns;
      for (int64_t u = 0; u < units_total; ++u) {
        if (!is_kept(u)) continue;
        for (int64_t col : hf.unit_columns[static_cast<size_t>(u)]) columns.push_back(col);
      }
      pieces.push_back(hf.columns.index_select(1, at::tensor(columns, at::kLong)));
    }
    if (sources.output) pieces.push_back(output_target(f));
    return at::cat(pieces, 1);
  }

  // Names group g's problem within one search: the group and the kept units its target is made of.
  static std::string problem_key(const graph::Analysis& a, int g,
                                 const std::vector<std::optional<std::vector<int64_t>>>& kept) {
    std::string key = std::to_string(g);
    for (int produced : target_sources(a, g).groups) {
      const auto& units = kept[static_cast<size_t>(produced)];
      key += fmt::format(" {}:[{}]", produced, units ? fmt::format("{}", fmt::join(*units, ",")) : "all");
    }
    return key;
  }

  // A group the calibration set is too small to test keeps all its units, with the reason.
  static LayerDecision whole_group(const graph::Group& g, std::string reason) {
    LayerDecision d;
    d.group = g.name;
    d.keep.resize(static_cast<size_t>(g.size));
    std::iota(d.keep.begin(), d.keep.end(), 0);
    d.skipped = std::move(reason);
    return d;
  }

  at::Tensor output_target(const CalibrationFeatures& f) const {
    if (o_.target == "softmax") return at::softmax(f.output, 1);
    if (o_.target == "labels") {
      // One-hot without its last column: the columns sum to 1, so the last adds nothing.
      const at::Tensor one_hot = at::one_hot(f.labels, f.output.size(1)).to(at::kFloat);
      return one_hot.narrow(1, 0, one_hot.size(1) - 1);
    }
    return f.output;
  }

  // Group g's TERC elimination against its target, with the units of `kept` deciding the target.
  LayerDecision eliminate(const MethodInputs& in, const CalibrationFeatures& f, const graph::Group& g,
                          const std::vector<std::optional<std::vector<int64_t>>>& kept, int64_t floor,
                          int64_t round_to, double lambda, double threshold) const {
    info::EliminationProblem p;
    p.x = f.groups[static_cast<size_t>(g.id)].columns;
    p.y = target_for(in, f, g.id, kept);
    const bool by_variance = o_.target_weighting == "variance";
    if (o_.target_components > 0) p.y = mipp_method::leading_components(p.y, o_.target_components, !by_variance);
    if (by_variance) {
      const at::Tensor y = p.y.to(at::kDouble);
      p.target_weights = (y - y.mean(0, /*keepdim=*/true)).pow(2).mean(0);
    }
    p.units = f.groups[static_cast<size_t>(g.id)].unit_columns;
    p.seed = in.seed + static_cast<uint64_t>(g.id);
    std::unique_ptr<info::Elimination> e;
    try {
      e = info::make_elimination(o_.estimator, o_.estimator_options, p);
    } catch (const Error& err) {
      throw Error(err.kind(), fmt::format("mipp: layer {}: {}", g.name, err.what()));
    }
    const auto visit = o_.visit == "greedy" ? mipp_method::Visit::kGreedy : mipp_method::Visit::kInformationOrder;
    LayerDecision d = mipp_method::eliminate_units(*e, g.name, g.size, floor, round_to, lambda, threshold, in.sink, visit);
    d.target_columns = p.y.size(1);
    return d;
  }

  // The decisions made so far in one select(), by problem_key: a run whose decisions on a layer
  // would all be the same as an earlier one's on the same target reuses it (decides_the_same), so
  // the search refits only the layers a threshold step changes.
  using DecisionCache = std::map<std::string, std::vector<LayerDecision>>;

  // The sparsity the decisions reach, of the groups the budget counts.
  static double achieved(const MethodInputs& in, const Plan& plan, const Budget& budget,
                         const std::vector<LayerDecision>& layers) {
    graph::KeepSets keep;
    for (const LayerDecision& d : layers) keep.push_back(d.keep);
    return measure_sparsity(in.net, plan.counted, keep, budget.target);
  }

  // Group g's decision at level `lambda` and loss threshold `threshold`, its units down to at least
  // `floor`: read from the checkpoint (saved under `key_threshold`), reused from an earlier run on
  // the same target that decides every tested unit the same way, or made (its fits added to `fits`).
  LayerDecision decide(const MethodInputs& in, const CalibrationFeatures& f, const graph::Group& g,
                       const std::vector<std::optional<std::vector<int64_t>>>& kept, int64_t floor, int64_t round_to,
                       double lambda, double threshold, double key_threshold, double confidence,
                       Checkpoint& checkpoint, DecisionCache& decided, int64_t& fits, const std::string& where) const {
    // A greedy order depends on the test's level as well (terc.h), and a floor stops either order
    // where it is, so decisions are reused only at the same level and floor.
    const std::string level = o_.visit == "greedy" ? fmt::format(" lambda {:.17g}", lambda) : "";
    std::vector<LayerDecision>& same_problem = decided[problem_key(in.analysis, g.id, kept) + level +
                                                      fmt::format(" floor {}", floor)];
    if (std::optional<LayerDecision> d = checkpoint.find(key_threshold, confidence, g.name)) {
      same_problem.push_back(*d);
      return *d;
    }
    const auto same = std::find_if(same_problem.begin(), same_problem.end(), [&](const LayerDecision& e) {
      return mipp_method::decides_the_same(e, lambda, threshold);
    });
    if (same != same_problem.end()) return *same;
    in.sink.stage_begin(fmt::format("mipp: {} ({}, {} units, loss threshold {:.3g})", g.name, where, g.size, threshold),
                        g.size);
    LayerDecision d = eliminate(in, f, g, kept, floor, round_to, lambda, threshold);
    in.sink.stage_end();
    checkpoint.save(key_threshold, confidence, d);
    fits += d.fits;
    same_problem.push_back(d);
    return d;
  }

  Run run_at(const MethodInputs& in, const CalibrationFeatures& f, const std::vector<int>& order, const Plan& plan,
             const Budget& budget, double threshold, double confidence, Checkpoint& checkpoint,
             DecisionCache& decided) const {
    const graph::Analysis& a = in.analysis;
    const double lambda = -std::log1p(-confidence);  // keep when ln p <= -lambda
    Run r;
    r.threshold = threshold;
    r.confidence = confidence;
    r.layers.resize(a.groups.size());
    std::vector<std::optional<std::vector<int64_t>>> kept(a.groups.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const graph::Group& g = a.groups[static_cast<size_t>(order[i])];
      const auto id = static_cast<size_t>(g.id);
      LayerDecision d = !plan.whole[id].empty()
                            ? whole_group(g, plan.whole[id])
                            : decide(in, f, g, kept, plan.floors[id], budget.round_to, lambda,
                                     threshold * plan.threshold_scale[id], threshold, confidence, checkpoint, decided,
                                     r.fits_made, fmt::format("{}/{}", i + 1, order.size()));
      kept[id] = d.keep;
      r.layers[id] = std::move(d);
    }
    r.achieved = achieved(in, plan, budget, r.layers);
    return r;
  }

  // Widths fixed beforehand (widths: uniform, or a layer or per-group scope): each group in
  // order is eliminated down to its width, and the loss threshold is searched per group — the
  // smallest at which the elimination reaches the width, so the test and the loss still decide
  // which units go and the width only where it stops. In the greedy order the removals do not
  // depend on the threshold (terc.h): one run with every unit removable gives them.
  Run run_to_widths(const MethodInputs& in, const CalibrationFeatures& f, const std::vector<int>& order,
                    const Plan& plan, const Budget& budget, const std::vector<int64_t>& widths,
                    Checkpoint& checkpoint, DecisionCache& decided, json& trace) const {
    const graph::Analysis& a = in.analysis;
    const double lambda = -std::log1p(-o_.confidence);
    Run r;
    r.confidence = o_.confidence;
    r.layers.resize(a.groups.size());
    std::vector<std::optional<std::vector<int64_t>>> kept(a.groups.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const graph::Group& g = a.groups[static_cast<size_t>(order[i])];
      const auto id = static_cast<size_t>(g.id);
      if (!plan.whole[id].empty()) {
        r.layers[id] = whole_group(g, plan.whole[id]);
        kept[id] = r.layers[id].keep;
        continue;
      }
      const int64_t width = std::max(plan.floors[id], widths[id]);
      const std::string where = fmt::format("{}/{}, down to {}", i + 1, order.size(), width);
      auto at = [&](double threshold) {
        return decide(in, f, g, kept, width, budget.round_to, lambda, threshold, threshold, o_.confidence, checkpoint,
                      decided, r.fits_made, where);
      };
      auto reaches = [&](const LayerDecision& d) { return static_cast<int64_t>(d.keep.size()) <= width; };
      double found = 1.0;
      LayerDecision d = at(found);  // every unit's loss increase is below 1: removes down to the width
      if (o_.visit == "greedy") {  // just above the last removal's loss increase: all the threshold decided
        found = 0;
        for (const mipp_method::UnitRecord& u : d.units) {
          if (u.decision == "removed") found = std::max(found, std::nextafter(u.loss_increase, 2.0));
        }
      } else {
        double lo = 1e-7, hi = found;
        if (LayerDecision low = at(lo); reaches(low)) {  // the test alone lets the width go
          d = std::move(low);
          found = hi = lo;
        }
        for (int step = 0; step < 40 && hi / lo > 1 + o_.search_tolerance; ++step) {
          const double mid = std::sqrt(lo * hi);
          LayerDecision m = at(mid);
          if (reaches(m)) {
            hi = found = mid;
            d = std::move(m);
          } else {
            lo = mid;
          }
        }
      }
      trace.push_back({{"group", g.name}, {"width", width}, {"kept", d.keep.size()}, {"loss_threshold", found}});
      d.at_floor = static_cast<int64_t>(d.keep.size()) <= plan.floors[id] && plan.floors[id] < g.size;
      kept[id] = d.keep;
      r.layers[id] = std::move(d);
    }
    r.achieved = achieved(in, plan, budget, r.layers);
    return r;
  }

  // --sparsity mode: the loss threshold whose run reaches the budget's sparsity (terc.h's search);
  // the run closest to the target wins. When even the smallest threshold removes too much — the
  // test itself rejects more units than the budget allows, as on an untrained network fed noise —
  // the test's level is lowered instead (bisecting ln(1 / (1 - confidence)) at that threshold), so
  // more units count as significant.
  template <typename RunFn, typename RecordFn>
  Run search(const MethodInputs& in, const Budget& budget, const Plan& plan, RunFn run, RecordFn record) const {
    graph::KeepSets floor_keep;
    for (const graph::Group& g : in.analysis.groups) {
      std::vector<int64_t> k(static_cast<size_t>(plan.floors[static_cast<size_t>(g.id)]));
      std::iota(k.begin(), k.end(), 0);
      floor_keep.push_back(k);
    }
    const double reachable = measure_sparsity(in.net, plan.counted, floor_keep, budget.target);
    MIPP_CHECK(reachable >= budget.sparsity, kInvalidArgument,
               "--sparsity {}: at most {:.4f} of {} can be removed with --min-width {} and --max-layer-sparsity {}",
               budget.sparsity, reachable, budget.target, budget.min_width, budget.max_layer_sparsity);
    Run best;
    double best_gap = 2;
    auto consider = [&](Run r) {
      record(r);
      const double achieved = r.achieved;
      if (std::fabs(achieved - budget.sparsity) < best_gap) {
        best_gap = std::fabs(achieved - budget.sparsity);
        best = std::move(r);
      }
      return achieved;
    };
    double lowest_threshold = plan.highest_threshold;
    mipp_method::search_increasing(plan.lowest_threshold, plan.highest_threshold, budget.sparsity, o_.search_tolerance,
                                   [&](double threshold) {
                                     lowest_threshold = std::min(lowest_threshold, threshold);
                                     return consider(run(threshold, o_.confidence));
                                   });
    if (best.achieved > budget.sparsity + o_.search_tolerance && best.threshold == lowest_threshold) {
      const double lambda = -std::log1p(-o_.confidence);
      mipp_method::search_increasing(1e-6, lambda, budget.sparsity, o_.search_tolerance, [&](double l) {
        return consider(run(lowest_threshold, -std::expm1(-l)));
      });
    }
    return best;
  }

  MippOptions o_;
  json details_ = json::object();
};

}  // namespace

std::unique_ptr<Method> make_mipp_method(const json& options) { return std::make_unique<MippMethod>(parse_options(options)); }

}  // namespace mipp::prune
