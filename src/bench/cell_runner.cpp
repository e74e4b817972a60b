#include "bench/cell_runner.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/randperm.h>

#include <chrono>
#include <optional>

#include "bench/latency_record.h"
#include "mipp/graph/analyze.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/slice.h"
#include "mipp/pipeline/prune_model.h"
#include "mipp/prune/method.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"

namespace mipp::bench {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// What a prune step leaves for the rest of the cell.
struct Pruned {
  io::Model model;
  graph::KeepSets keep;
  std::vector<std::string> collapsed;
  double achieved = 0;
  train::EvalResult before, after;
  double seconds = 0;
  json method_details = json::object();
};

// The accuracy fields of a prune report's evaluation.
train::EvalResult eval_from(const json& j) {
  train::EvalResult e;
  e.samples = j.at("samples").get<int64_t>();
  e.top1 = j.at("top1").get<double>();
  e.top5 = j.at("top5").get<double>();
  e.loss = j.at("loss").get<double>();
  return e;
}

void add_accuracy(json& record, const std::string& suffix, const train::EvalResult& e, int64_t classes) {
  record["top1_" + suffix] = e.top1;
  if (classes > 10) record["top5_" + suffix] = e.top5;
}

// The method's own cell: pipeline::prune_model, as `mipp prune` does it.
Pruned prune_with_method(const Cell& cell, CellContext& ctx, const io::Model& base, const prune::Budget& budget) {
  const MethodConfig& m = ctx.config.methods.at(cell.method);
  const auto method = prune::make_method(m.name, m.options);
  data::Dataset calibration;
  if (method->needs_data() || m.reweight || m.recalibrate_bn) {
    int64_t n = m.calib_samples > 0 ? m.calib_samples : ctx.config.calib_samples;
    if (n == 0) n = method->default_calibration_samples();
    calibration = data::calibration_subset(ctx.data.train, n, util::derive_seed(cell.seed, "calibration"),
                                           method->needs_labels());
  }
  pipeline::PruneOptions o;
  o.method = m.name;
  o.method_options = m.options;
  o.budget = budget;
  o.seed = cell.seed;
  o.rounds = m.rounds;
  o.round_schedule = m.round_schedule;
  o.reweight = m.reweight;
  o.reweight_options.variant = m.reweight_variant;
  o.recalibrate_bn = m.recalibrate_bn;
  // IMP: between rounds, the fine-tuning recipe for `retrain_epochs` epochs, its learning rate
  // restarted each time (learning-rate rewinding, Renda et al. 2020: as good as rewinding the
  // weights to an early checkpoint, which the dense cache does not keep).
  double retrain_seconds = 0;
  if (m.retrain_epochs > 0) {
    o.between_rounds = [&](graph::Network& net, int round) {
      io::Model round_model{std::move(net), base.metadata, {}};
      train::TrainOptions t = ctx.config.finetune;
      t.epochs = m.retrain_epochs;
      t.seed = util::derive_seed(cell.seed, fmt::format("retrain/{}", round));
      const train::TrainResult trained = train::train(round_model, ctx.data.train, nullptr, t, ctx.sink);
      if (trained.cancelled) MIPP_FAIL(kCancelled, "interrupted in cell {}", cell_key(ctx.config, cell));
      retrain_seconds += trained.seconds;
      net = std::move(round_model.network);
    };
  }
  // OTO: group-sparsity training from the trained network towards this cell's sparsity.
  std::optional<io::Model> sparse;
  double group_sparsity_seconds = 0;
  if (m.group_sparsity_epochs > 0) {
    sparse = io::Model{base.network.deep_copy(), base.metadata, {}};  // trained in place: not base's tensors
    train::TrainOptions t = ctx.config.finetune;
    t.epochs = m.group_sparsity_epochs;
    t.seed = util::derive_seed(cell.seed, "group-sparsity");
    t.group_sparsity = m.group_sparsity;
    t.group_sparsity.target = budget.sparsity;
    t.group_sparsity.min_width = budget.min_width;
    const train::TrainResult trained = train::train(*sparse, ctx.data.train, nullptr, t, ctx.sink);
    if (trained.cancelled) MIPP_FAIL(kCancelled, "interrupted in cell {}", cell_key(ctx.config, cell));
    group_sparsity_seconds = trained.seconds;
  }
  pipeline::PruneResult r = pipeline::prune_model(sparse ? *sparse : base, calibration.size() > 0 ? &calibration : nullptr,
                                                  &ctx.data.test, o, ctx.sink);
  Pruned p{std::move(r.pruned)};
  p.keep = r.selection.keep;
  p.collapsed = r.selection.at_min_width;
  p.achieved = r.selection.achieved;
  p.before = eval_from(r.report.at("accuracy_before"));
  p.after = eval_from(r.report.at("accuracy_after"));
  p.seconds = r.report.at("score_seconds").get<double>() + r.report.at("slice_seconds").get<double>();
  if (r.report.contains("method_details")) {
    for (const auto& [k, v] : r.report.at("method_details").items()) {
      if (v.is_primitive()) p.method_details[k] = v;
    }
  }
  if (m.group_sparsity_epochs > 0) {  // training time too, left out of prune_seconds
    p.method_details["group_sparsity_seconds"] = group_sparsity_seconds;
    p.method_details["group_sparsity_epochs"] = m.group_sparsity_epochs;
  }
  if (m.retrain_epochs > 0) {  // prune_seconds leaves the retraining out: it is training time
    p.method_details["retrain_seconds"] = retrain_seconds;
    p.method_details["retrain_epochs_total"] = m.retrain_epochs * (m.rounds - 1);
  }
  return p;
}

// Frankle et al. (2021) sanity checks, with the keep-sets of the method's own cell:
//   shuffle: in every group the same number of units kept, chosen at random (seeded);
//   reinit:  the method's pruned architecture with freshly drawn weights.
Pruned prune_as_control(const Cell& cell, CellContext& ctx, const io::Model& base, const prune::Budget& budget) {
  const std::string parent_key = cell_key(ctx.config, parent_cell(cell));
  const json* parent = ctx.store.find(parent_key);
  MIPP_CHECK(parent != nullptr && parent->at("status") == "ok", kInvalidArgument,
             "control {}: the method's cell {} has no result to take keep-sets from", cell.control, parent_key);
  const auto start = Clock::now();
  const graph::Analysis analysis = graph::analyze(base.network);
  graph::KeepSets keep = parent->at("keep").get<graph::KeepSets>();
  graph::validate(analysis, keep);
  if (cell.control == "shuffle") {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(cell.seed, "control-shuffle"));
    for (const graph::Group& g : analysis.groups) {
      const at::Tensor chosen = at::randperm(g.size, gen, at::kLong).narrow(0, 0, keep[g.id].size());
      const at::Tensor sorted = std::get<0>(chosen.sort());
      keep[g.id] = std::vector<int64_t>(sorted.data_ptr<int64_t>(), sorted.data_ptr<int64_t>() + sorted.numel());
    }
  }
  Pruned p{base};
  p.model.network = graph::slice(base.network, analysis, keep);
  if (cell.control == "reinit") models::initialize(p.model.network, util::derive_seed(cell.seed, "control-reinit"));
  p.keep = keep;
  for (const graph::Group& g : analysis.groups) {
    if (static_cast<int64_t>(keep[g.id].size()) <= prune::unit_floor(g, budget)) p.collapsed.push_back(g.name);
  }
  p.achieved = prune::measure_sparsity(base.network, analysis, keep, budget.target);
  p.seconds = seconds_since(start);
  p.before = train::evaluate(base.network, ctx.data.test);
  p.after = train::evaluate(p.model.network, ctx.data.test);
  p.model.metadata.history.push_back({{"action", "prune"}, {"control", cell.control}, {"of", parent_key}});
  return p;
}

}  // namespace

json run_cell(const Cell& cell, CellContext& ctx) {
  const BenchConfig& c = ctx.config;
  io::Model base =
      cell.timing == "after" ? ctx.dense.trained(cell.model, cell.seed, ctx.data) : ctx.dense.initial(cell.model, cell.seed, ctx.data);
  const auto start = Clock::now();  // the dense model's training (first cell of a seed) is not the cell's
  // Methods may touch the network they score (gradients, batch-norm statistics); the cached dense
  // model must reach every cell unchanged, so each cell works on its own copy.
  base.network = base.network.deep_copy();
  prune::Budget budget = c.budget;
  budget.sparsity = cell.sparsity;
  Pruned p = cell.control == "none" ? prune_with_method(cell, ctx, base, budget) : prune_as_control(cell, ctx, base, budget);

  // Pruning before training is followed by the full training schedule, as is a re-initialised
  // network; pruning a trained network by the fine-tuning shared by every method.
  train::TrainOptions t = cell.timing == "before" || cell.control == "reinit" ? c.train : c.finetune;
  t.seed = util::derive_seed(cell.seed, "finetune");
  const train::TrainResult trained = train::train(p.model, ctx.data.train, nullptr, t, ctx.sink);
  if (trained.cancelled) MIPP_FAIL(kCancelled, "interrupted in cell {}", cell_key(c, cell));
  const train::EvalResult final_eval = train::evaluate(p.model.network, ctx.data.test);

  const graph::Cost dense = graph::total_cost(base.network), after = graph::total_cost(p.model.network);
  const int64_t classes = ctx.data.test.num_classes;
  json record = {{"achieved_sparsity", p.achieved}};
  add_accuracy(record, "before", p.before, classes);
  add_accuracy(record, "pruned", p.after, classes);
  add_accuracy(record, "final", final_eval, classes);
  record["loss_final"] = final_eval.loss;
  record["params"] = after.params;
  record["macs"] = after.macs;
  record["params_dense"] = dense.params;
  record["macs_dense"] = dense.macs;
  record["compression"] = static_cast<double>(dense.params) / static_cast<double>(after.params);
  record["speedup"] = static_cast<double>(dense.macs) / static_cast<double>(after.macs);
  record["latency"] = latency_record(p.model.network, c.latency);
  record["collapsed_layers"] = p.collapsed;
  const graph::Analysis analysis = graph::analyze(base.network);
  json widths = json::array();
  for (const graph::Group& g : analysis.groups) {
    widths.push_back({{"group", g.name}, {"before", g.size}, {"after", p.keep[g.id].size()}});
  }
  record["widths"] = widths;
  record["keep"] = p.keep;
  record["prune_seconds"] = p.seconds;
  record["method_details"] = p.method_details;
  record["train_seconds"] = trained.seconds;
  record["train_epochs"] = t.epochs;
  record["cell_seconds"] = seconds_since(start);
  return record;
}

}  // namespace mipp::bench
