#include "mipp/pipeline/prune_model.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/isfinite.h>

#include <chrono>
#include <cmath>
#include <fmt/ranges.h>

#include "mipp/graph/analyze.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/slice.h"
#include "mipp/prune/method.h"
#include "mipp/prune/reweight.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/recalibrate.h"
#include "mipp/util/error.h"

namespace mipp::pipeline {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void check_finite_weights(const graph::Network& net) {
  for (const auto& [name, t] : net.named_parameters()) {
    MIPP_CHECK(at::isfinite(t).all().item<bool>(), kNumerical, "weights of {} contain NaN or Inf", name);
  }
}

json cost_json(const graph::Cost& c) { return {{"params", c.params}, {"macs", c.macs}}; }

// The network's size in the budget's target measure: units (all groups), params or MACs.
double amount(const graph::Network& net, const graph::Analysis& analysis, const std::string& target) {
  if (target == "units") {
    int64_t units = 0;
    for (const graph::Group& g : analysis.groups) units += g.size;
    return static_cast<double>(units);
  }
  const graph::Cost c = graph::total_cost(net);
  return static_cast<double>(target == "params" ? c.params : c.macs);
}

}  // namespace

PruneResult prune_model(const io::Model& model, const data::Dataset* calibration, const data::Dataset* test,
                        const PruneOptions& options, util::EventSink& sink, const data::Dataset* verification) {
  prune::validate(options.budget);
  const std::unique_ptr<prune::Method> method = prune::make_method(options.method, options.method_options);
  MIPP_CHECK(!method->needs_data() || (calibration != nullptr && calibration->size() > 0), kInvalidArgument,
             "method {} needs calibration data: give --dataset (and --calib-samples of at least 1)", options.method);
  MIPP_CHECK(!method->needs_labels() || (calibration != nullptr && calibration->labels.defined()), kInvalidArgument,
             "method {} needs labelled calibration data", options.method);
  MIPP_CHECK(method->verification_samples() == 0 || (verification != nullptr && verification->labels.defined()),
             kInvalidArgument, "method {} needs labelled verification data", options.method);
  MIPP_CHECK(!options.recalibrate_bn || (calibration != nullptr && calibration->size() > 0), kInvalidArgument,
             "--recalibrate-bn needs calibration data: give --dataset (and --calib-samples of at least 1)");
  MIPP_CHECK(!options.reweight || (calibration != nullptr && calibration->size() > 0), kInvalidArgument,
             "--reweight needs calibration data: give --dataset (and --calib-samples of at least 1)");
  if (calibration != nullptr && (method->needs_data() || options.recalibrate_bn || options.reweight)) {
    // One sample gives scores, fits and batch statistics that look like any others but are noise
    // (or fail inside a batch-norm in train mode); fewer samples than classes leave classes out of
    // a loss gradient, which is worth a warning (an ImageNet model's 1000 classes exceed the default).
    MIPP_CHECK(calibration->size() >= 2, kInvalidArgument,
               "--calib-samples {}: method {} needs at least 2 calibration samples", calibration->size(), options.method);
    const int64_t classes = model.network.output_shape().front();
    if (method->needs_labels() && calibration->size() < classes) {
      sink.message(util::LogLevel::kWarn,
                   fmt::format("{}: {} calibration samples for {} classes: most classes are not represented in its "
                               "loss gradient",
                               options.method, calibration->size(), classes));
    }
  }
  const graph::Network& net = model.network;
  check_finite_weights(net);
  const graph::Analysis analysis = graph::analyze(net);
  MIPP_CHECK(!analysis.groups.empty(), kInvalidArgument, "the model has no prunable groups ({})",
             fmt::join(analysis.frozen, "; "));

  json report = {{"method", options.method},
                 {"method_options", method->options()},
                 {"budget", options.budget},
                 {"seed", options.seed},
                 {"calibration_samples", calibration != nullptr ? calibration->size() : 0},
                 {"verification_samples", method->verification_samples() > 0 ? verification->size() : 0}};
  if (test != nullptr) report["accuracy_before"] = train::evaluate(net, *test, 1000, sink);

  MIPP_CHECK(options.rounds >= 1, kInvalidArgument, "--rounds {}: must be at least 1", options.rounds);
  MIPP_CHECK(options.round_schedule == "exponential" || options.round_schedule == "linear", kInvalidArgument,
             "--round-schedule {}: use exponential or linear", options.round_schedule);
  MIPP_CHECK(options.rounds == 1 || options.budget.scope != "custom", kInvalidArgument,
             "--rounds {}: iterative pruning needs the global or layer scope", options.rounds);

  // Each round prunes the network left by the previous one; to_original maps its units back.
  graph::Network current = net;
  graph::Analysis current_analysis = analysis;
  graph::KeepSets to_original = graph::keep_all(analysis);
  const double original_amount = amount(net, analysis, options.budget.target);
  prune::Selection selection;
  double score_seconds = 0, slice_seconds = 0, reweight_seconds = 0;
  json reweight_layers = json::array();  // per round
  for (int round = 1; round <= options.rounds; ++round) {
    const double fraction = static_cast<double>(round) / options.rounds;
    const double s = options.round_schedule == "linear" ? options.budget.sparsity * fraction
                                                        : 1 - std::pow(1 - options.budget.sparsity, fraction);
    prune::Budget budget = options.budget;
    if (budget.scope != "custom") {  // the round's target relative to what is left
      budget.sparsity = std::max(0.0, 1 - (1 - s) * original_amount / amount(current, current_analysis, budget.target));
    }
    sink.stage_begin(fmt::format("scoring ({}, round {}/{})", options.method, round, options.rounds), 0);
    auto start = Clock::now();
    selection = method->select(
        {current, current_analysis, calibration, options.seed, sink, options.checkpoint_path, options.resume, verification},
        budget);
    score_seconds += seconds_since(start);
    sink.stage_end();
    // The method's own reweighted network, or a reweighting of the selection, or plain removal.
    graph::Network to_slice = selection.network.value_or(current);
    if (options.reweight) {
      sink.stage_begin(fmt::format("reweighting (round {}/{})", round, options.rounds), 0);
      start = Clock::now();
      prune::Reweighted r = prune::reweight(current, current_analysis, selection.keep, *calibration,
                                            options.reweight_options, options.seed, sink);
      reweight_seconds += seconds_since(start);
      reweight_layers.push_back(std::move(r.layers));
      to_slice = std::move(r.network);
      sink.stage_end();
    }
    selection.network.reset();
    start = Clock::now();
    for (size_t g = 0; g < to_original.size(); ++g) {
      std::vector<int64_t> kept;
      for (int64_t u : selection.keep[g]) kept.push_back(to_original[g][u]);
      to_original[g] = std::move(kept);
    }
    current = graph::slice(to_slice, current_analysis, selection.keep);
    current_analysis = graph::analyze(current);
    slice_seconds += seconds_since(start);
    if (options.between_rounds && round < options.rounds) options.between_rounds(current, round);
  }
  selection.keep = to_original;
  selection.achieved = prune::measure_sparsity(net, analysis, selection.keep, options.budget.target);
  report["rounds"] = options.rounds;
  report["round_schedule"] = options.round_schedule;
  report["score_seconds"] = score_seconds;
  report["slice_seconds"] = slice_seconds;
  report["reweight"] = options.reweight;
  if (options.reweight) {
    report["reweight_options"] = {{"variant", options.reweight_options.variant},
                                  {"patches", options.reweight_options.patches},
                                  {"float64", options.reweight_options.float64}};
    report["reweight_seconds"] = reweight_seconds;
    report["reweight_layers"] = reweight_layers;
  }
  report["recalibrate_bn"] = options.recalibrate_bn;
  if (options.recalibrate_bn) report["batch_norms_recalibrated"] = train::recalibrate_batch_norms(current, *calibration);
  PruneResult result{{std::move(current), model.metadata, {}}, selection, {}};

  const graph::Cost before = graph::total_cost(net), after = graph::total_cost(result.pruned.network);
  report["requested_sparsity"] = method->uses_budget_sparsity() ? json(options.budget.sparsity) : json(nullptr);
  report["achieved_sparsity"] = selection.achieved;
  report["before"] = cost_json(before);
  report["after"] = cost_json(after);
  report["compression"] = static_cast<double>(before.params) / static_cast<double>(after.params);
  report["theoretical_speedup"] = static_cast<double>(before.macs) / static_cast<double>(after.macs);
  report["collapsed_layers"] = selection.at_min_width;
  json groups = json::array();
  for (const graph::Group& g : analysis.groups) {
    groups.push_back({{"group", g.name},
                      {"producers", g.producers.size()},
                      {"width_before", g.size},
                      {"width_after", selection.keep[g.id].size()},
                      {"keep", selection.keep[g.id]}});
  }
  report["groups"] = groups;
  if (!method->details().empty()) report["method_details"] = method->details();
  if (test != nullptr) report["accuracy_after"] = train::evaluate(result.pruned.network, *test, 1000, sink);

  json entry = {{"action", "prune"},
                {"method", options.method},
                {"method_options", method->options()},
                {"budget", options.budget},
                {"seed", options.seed},
                {"rounds", options.rounds},
                {"reweight", options.reweight},
                {"recalibrate_bn", options.recalibrate_bn},
                {"achieved_sparsity", selection.achieved},
                {"params", cost_json(after)}};
  result.pruned.metadata.history.push_back(entry);
  result.report = std::move(report);
  return result;
}

}  // namespace mipp::pipeline
