#include "mipp/pipeline/prune_model.h"

#include <torch/torch.h>

#include <chrono>

#include "mipp/graph/analyze.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/slice.h"
#include "mipp/prune/method.h"
#include "mipp/train/evaluate.h"
#include "mipp/util/error.h"

namespace mipp::pipeline {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void check_finite_weights(const graph::Network& net) {
  for (const auto& [name, t] : net.named_parameters()) {
    MIPP_CHECK(torch::isfinite(t).all().item<bool>(), kNumerical, "weights of {} contain NaN or Inf", name);
  }
}

json cost_json(const graph::Cost& c) { return {{"params", c.params}, {"macs", c.macs}}; }

}  // namespace

PruneResult prune_model(const io::Model& model, const data::Dataset* calibration, const data::Dataset* test,
                        const PruneOptions& options, util::EventSink& sink) {
  prune::validate(options.budget);
  const std::unique_ptr<prune::Method> method = prune::make_method(options.method, options.method_options);
  MIPP_CHECK(!method->needs_data() || (calibration != nullptr && calibration->size() > 0), kInvalidArgument,
             "method {} needs calibration data: give --dataset (and --calib-samples of at least 1)", options.method);
  MIPP_CHECK(!method->needs_labels() || (calibration != nullptr && calibration->labels.defined()), kInvalidArgument,
             "method {} needs labelled calibration data", options.method);
  const graph::Network& net = model.network;
  check_finite_weights(net);
  const graph::Analysis analysis = graph::analyze(net);
  MIPP_CHECK(!analysis.groups.empty(), kInvalidArgument, "the model has no prunable groups ({})",
             fmt::join(analysis.frozen, "; "));

  json report = {{"method", options.method},
                 {"method_options", method->options()},
                 {"budget", options.budget},
                 {"seed", options.seed},
                 {"calibration_samples", calibration != nullptr ? calibration->size() : 0}};
  if (test != nullptr) report["accuracy_before"] = train::evaluate(net, *test);

  sink.stage_begin(fmt::format("scoring ({})", options.method), 0);
  const auto score_start = Clock::now();
  const std::vector<at::Tensor> scores =
      method->score({net, analysis, calibration, options.seed, sink});
  report["score_seconds"] = seconds_since(score_start);
  sink.stage_end();

  const prune::Selection selection = prune::select_units(net, analysis, scores, options.budget);
  const auto slice_start = Clock::now();
  PruneResult result{{graph::slice(net, analysis, selection.keep), model.metadata, {}}, selection, {}};
  report["slice_seconds"] = seconds_since(slice_start);

  const graph::Cost before = graph::total_cost(net), after = graph::total_cost(result.pruned.network);
  report["requested_sparsity"] = options.budget.sparsity;
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
  if (test != nullptr) report["accuracy_after"] = train::evaluate(result.pruned.network, *test);

  json entry = {{"action", "prune"},
                {"method", options.method},
                {"method_options", method->options()},
                {"budget", options.budget},
                {"seed", options.seed},
                {"achieved_sparsity", selection.achieved},
                {"params", cost_json(after)}};
  result.pruned.metadata.history.push_back(entry);
  result.report = std::move(report);
  return result;
}

}  // namespace mipp::pipeline
