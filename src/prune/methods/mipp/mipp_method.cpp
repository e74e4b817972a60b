#include "prune/methods/mipp/mipp_method.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "mipp/info/elimination.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"
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
};

MippOptions parse_options(const json& j) {
  static const std::vector<std::string> keys = {"mode", "confidence", "loss_threshold", "estimator", "estimator_options",
                                                "target", "pool", "batch_size", "search_tolerance"};
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
  MIPP_CHECK(o.mode == "sparsity" || o.mode == "confidence", kInvalidArgument,
             "method mipp: mode '{}': use sparsity or confidence", o.mode);
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
          {"search_tolerance", o.search_tolerance}};
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

// Checkpoint keys: the exact loss threshold of a run.
std::string threshold_key(double threshold) { return fmt::format("{:.17g}", threshold); }

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

// Decisions saved as they are made: runs[loss threshold][group] = LayerDecision, with a fingerprint of
// everything that changes them, so --resume continues only a run of the same problem.
class Checkpoint {
 public:
  Checkpoint(std::string path, bool resume, json fingerprint) : path_(std::move(path)) {
    state_ = {{"fingerprint", std::move(fingerprint)}, {"runs", json::object()}};
    if (path_.empty() || !resume || !std::filesystem::exists(path_)) return;
    std::ifstream in(path_);
    json saved;
    try {
      in >> saved;
    } catch (const json::exception& e) {
      MIPP_FAIL(kCorruption, "{}: not a mipp checkpoint ({})", path_, e.what());
    }
    MIPP_CHECK(saved.value("fingerprint", json()) == state_["fingerprint"], kInvalidArgument,
               "{}: the checkpoint is of another model, calibration set or options; remove it or drop --resume", path_);
    state_ = std::move(saved);
  }

  std::optional<LayerDecision> find(double threshold, const std::string& group) const {
    const json& runs = state_["runs"];
    const auto run = runs.find(threshold_key(threshold));
    if (run == runs.end() || !run->contains(group)) return std::nullopt;
    return run->at(group).get<LayerDecision>();
  }

  void save(double threshold, const LayerDecision& d) {
    state_["runs"][threshold_key(threshold)][d.group] = d;
    if (!path_.empty()) util::write_text_atomically(path_, state_.dump());
  }

 private:
  std::string path_;
  json state_;
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
  json details() const override { return details_; }

  std::vector<at::Tensor> score(const MethodInputs&) override {
    MIPP_FAIL(kNotSupported, "method mipp selects units by a test, not by scores; use select()");
  }

  Selection select(const MethodInputs& in, const Budget& budget) override {
    MIPP_CHECK(budget.scope == "global", kInvalidArgument,
               "--scope {}: mipp decides the per-layer widths itself; use --scope global", budget.scope);
    const auto start = std::chrono::steady_clock::now();
    const graph::Analysis& a = in.analysis;
    const CalibrationFeatures features =
        mipp_method::compute_features(in.net, a, *in.calibration, o_.pool, o_.batch_size, in.sink);
    json fingerprint = {{"options", options_json(o_)},
                        {"budget", budget},
                        {"seed", in.seed},
                        {"output_sum", features.output.to(torch::kFloat64).sum().item<double>()},
                        {"samples", features.output.size(0)}};
    Checkpoint checkpoint(in.checkpoint_path, in.resume, fingerprint);
    const std::vector<int> order = output_to_input_order(a);
    std::vector<int64_t> floors;
    for (const graph::Group& g : a.groups) floors.push_back(unit_floor(g, budget));

    const SingleThreaded single_threaded;
    auto run = [&](double threshold) { return run_at(in, features, order, floors, budget, threshold, checkpoint); };
    Run best;
    json trace = json::array();
    int64_t search_fits = 0;
    auto record = [&](const Run& r) {
      int64_t fits = 0;
      for (const LayerDecision& d : r.layers) fits += d.fits;
      search_fits += fits;
      trace.push_back({{"loss_threshold", r.threshold}, {"achieved", r.achieved}, {"estimator_fits", fits}});
    };
    if (o_.mode == "confidence") {
      best = run(o_.loss_threshold);
      record(best);
    } else {
      best = search(in, budget, floors, run, record);
    }

    Selection s;
    for (const LayerDecision& d : best.layers) s.keep.push_back(d.keep);
    s.achieved = best.achieved;
    for (size_t g = 0; g < a.groups.size(); ++g) {
      if (best.layers[g].at_floor) s.at_min_width.push_back(a.groups[g].name);
    }
    json layers = json::array();
    int64_t fits = 0;
    for (int g : order) {
      layers.push_back(best.layers[static_cast<size_t>(g)]);
      fits += best.layers[static_cast<size_t>(g)].fits;
    }
    details_ = {{"mode", o_.mode},
                {"confidence", o_.confidence},
                {"loss_threshold", best.threshold},
                {"achieved", best.achieved},
                {"estimator_fits", fits},
                {"search_estimator_fits", search_fits},
                {"search", trace},
                {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
                {"layers", layers}};
    if (o_.mode == "sparsity" && std::fabs(best.achieved - budget.sparsity) > 0.01) {
      in.sink.message(util::LogLevel::kWarn,
                      fmt::format("mipp: reached sparsity {:.4f}, more than 1 point from the requested {:.4f} (the "
                                  "test's decisions move in steps at this level)",
                                  best.achieved, budget.sparsity));
    }
    return s;
  }

 private:
  struct Run {
    double threshold = 0;
    std::vector<LayerDecision> layers;  // by group id
    double achieved = 0;
  };

  // The target group g's units must explain: the decided (kept) units of every group its
  // consumers produce, and the network's output where a consumer produces no group (the
  // classifier, or a frozen layer).
  at::Tensor target_for(const MethodInputs& in, const CalibrationFeatures& f, int g,
                        const std::vector<std::optional<std::vector<int64_t>>>& kept) const {
    const graph::Analysis& a = in.analysis;
    std::vector<at::Tensor> pieces;
    std::set<int> used;
    bool output = false;
    for (const graph::ChannelSlice& c : a.groups[static_cast<size_t>(g)].consumers) {
      int produced = -1;
      for (const graph::Group& h : a.groups) {
        if (std::find(h.producers.begin(), h.producers.end(), c.node) != h.producers.end()) produced = h.id;
      }
      if (produced < 0 || produced == g) {
        output = true;
        continue;
      }
      if (!used.insert(produced).second) continue;
      const auto& hf = f.groups[static_cast<size_t>(produced)];
      std::vector<int64_t> columns;
      const auto& units = kept[static_cast<size_t>(produced)];
      for (int64_t u = 0; u < static_cast<int64_t>(hf.unit_columns.size()); ++u) {
        if (units && !std::binary_search(units->begin(), units->end(), u)) continue;
        for (int64_t col : hf.unit_columns[static_cast<size_t>(u)]) columns.push_back(col);
      }
      pieces.push_back(hf.columns.index_select(1, at::tensor(columns, at::kLong)));
    }
    if (output || pieces.empty()) pieces.push_back(output_target(f));
    return at::cat(pieces, 1);
  }

  at::Tensor output_target(const CalibrationFeatures& f) const {
    if (o_.target == "softmax") return at::softmax(f.output, 1);
    if (o_.target == "labels") {
      // One-hot without its last column: the columns sum to 1, so the last adds nothing.
      const at::Tensor one_hot = at::one_hot(f.labels, f.output.size(1)).to(torch::kFloat32);
      return one_hot.narrow(1, 0, one_hot.size(1) - 1);
    }
    return f.output;
  }

  Run run_at(const MethodInputs& in, const CalibrationFeatures& f, const std::vector<int>& order,
             const std::vector<int64_t>& floors, const Budget& budget, double threshold, Checkpoint& checkpoint) const {
    const graph::Analysis& a = in.analysis;
    const double lambda = -std::log1p(-o_.confidence);  // keep when ln p <= -lambda
    Run r;
    r.threshold = threshold;
    r.layers.resize(a.groups.size());
    std::vector<std::optional<std::vector<int64_t>>> kept(a.groups.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const graph::Group& g = a.groups[static_cast<size_t>(order[i])];
      std::optional<LayerDecision> d = checkpoint.find(threshold, g.name);
      if (!d) {
        info::EliminationProblem p;
        p.x = f.groups[static_cast<size_t>(g.id)].columns;
        p.y = target_for(in, f, g.id, kept);
        p.units = f.groups[static_cast<size_t>(g.id)].unit_columns;
        p.seed = in.seed + static_cast<uint64_t>(g.id);
        in.sink.stage_begin(fmt::format("mipp: {} ({}/{}, {} units, loss threshold {:.3g})", g.name, i + 1,
                                        order.size(), g.size, threshold),
                            g.size);
        std::unique_ptr<info::Elimination> e;
        try {
          e = info::make_elimination(o_.estimator, o_.estimator_options, p);
        } catch (const Error& err) {
          throw Error(err.kind(), fmt::format("mipp: layer {}: {}", g.name, err.what()));
        }
        d = mipp_method::eliminate_units(*e, g.name, g.size, floors[static_cast<size_t>(g.id)], budget.round_to,
                                         lambda, threshold, in.sink);
        d->target_columns = p.y.size(1);
        in.sink.stage_end();
        checkpoint.save(threshold, *d);
      }
      kept[static_cast<size_t>(g.id)] = d->keep;
      r.layers[static_cast<size_t>(g.id)] = std::move(*d);
    }
    graph::KeepSets keep;
    for (const LayerDecision& d : r.layers) keep.push_back(d.keep);
    r.achieved = measure_sparsity(in.net, a, keep, budget.target);
    return r;
  }

  // --sparsity mode: the loss threshold whose run reaches the budget's sparsity (terc.h's search);
  // the run closest to the target wins.
  template <typename RunFn, typename RecordFn>
  Run search(const MethodInputs& in, const Budget& budget, const std::vector<int64_t>& floors, RunFn run,
             RecordFn record) const {
    graph::KeepSets floor_keep;
    for (const graph::Group& g : in.analysis.groups) {
      std::vector<int64_t> k(static_cast<size_t>(floors[static_cast<size_t>(g.id)]));
      std::iota(k.begin(), k.end(), 0);
      floor_keep.push_back(k);
    }
    const double reachable = measure_sparsity(in.net, in.analysis, floor_keep, budget.target);
    MIPP_CHECK(reachable >= budget.sparsity, kInvalidArgument,
               "--sparsity {}: at most {:.4f} of {} can be removed with --min-width {} and --max-layer-sparsity {}",
               budget.sparsity, reachable, budget.target, budget.min_width, budget.max_layer_sparsity);
    Run best;
    double best_gap = 2;
    mipp_method::search_loss_threshold(budget.sparsity, o_.search_tolerance, [&](double threshold) {
      Run r = run(threshold);
      record(r);
      const double achieved = r.achieved;
      if (std::fabs(achieved - budget.sparsity) < best_gap) {
        best_gap = std::fabs(achieved - budget.sparsity);
        best = std::move(r);
      }
      return achieved;
    });
    return best;
  }

  MippOptions o_;
  json details_ = json::object();
};

}  // namespace

std::unique_ptr<Method> make_mipp_method(const json& options) { return std::make_unique<MippMethod>(parse_options(options)); }

}  // namespace mipp::prune
