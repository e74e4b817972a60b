#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <fmt/ranges.h>

#include "mipp/prune/reweight.h"
#include "mipp/train/evaluate.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "prune/methods/reconstruction_methods.h"
#include "prune/reconstruction/equal_accuracy.h"
#include "prune/reconstruction/greedy_selection.h"
#include "prune/reconstruction/sequential.h"

namespace mipp::prune {

namespace {

using nlohmann::json;
namespace rc = reconstruction;

class SubmodularMethod : public Method {
 public:
  SubmodularMethod(std::string variant, double epsilon, std::string budget, int64_t verification,
                   rc::GramOptions grams)
      : variant_(std::move(variant)),
        epsilon_(epsilon),
        budget_(std::move(budget)),
        verification_(verification),
        grams_(std::move(grams)) {}
  std::string_view name() const override { return "submodular"; }
  bool needs_data() const override { return true; }
  int64_t verification_samples() const override { return budget_ == "equal-accuracy" ? verification_ : 0; }
  json options() const override {
    json j = {{"variant", variant_},        {"epsilon", epsilon_},          {"budget", budget_},
              {"patches", grams_.patches}, {"float64", grams_.float64}, {"batch_size", grams_.batch_size}};
    if (budget_ == "equal-accuracy") j["verification_samples"] = verification_;
    return j;
  }
  json details() const override { return details_; }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    // Scores for a global ranking: each layer's greedy order on the original activations, scored by
    // the gain when chosen (made non-increasing along the order, so a threshold keeps a prefix).
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) {
      const rc::GreedyResult order = full_order(in, g);
      at::Tensor s = at::zeros({g.size}, at::kDouble);
      double running = 1;
      for (size_t i = 0; i < order.order.size(); ++i) {
        running = std::min(running, order.gains[i]);
        // The rank term breaks ties (zero gains of dependent units) in greedy order.
        s[order.order[i]] = running + 1e-12 * static_cast<double>(g.size - static_cast<int64_t>(i));
      }
      scores.push_back(s);
    }
    return scores;
  }

  Selection select(const MethodInputs& in, const Budget& budget) override {
    details_ = json::object();
    Selection counts = budget_ == "equal-accuracy" ? equal_accuracy_counts(in, budget)
                       : budget.scope == "global"  ? select_units(in.net, in.analysis, score(in), budget)
                                                   : rc::counts_for_budget(in.net, in.analysis, budget);
    auto choose = [&](const graph::Group& g, const std::vector<rc::ConsumerView>& views, int64_t keep) {
      return rc::greedy_selection(views, g.size, keep, greedy_options(in, g)).order;
    };
    rc::SequentialOptions options{variant_, rc::WeightUpdate::kLeastSquares, grams_};
    options.grams.seed = util::derive_seed(in.seed, "submodular");
    return rc::select_sequentially(in, std::move(counts), budget.target, choose, options, details_["layers"]);
  }

 private:
  rc::GreedyOptions greedy_options(const MethodInputs& in, const graph::Group& g) const {
    return {epsilon_, util::derive_seed(in.seed, fmt::format("submodular greedy {}", g.id))};
  }

  // Every unit of g in greedy order, on the original network's activations.
  rc::GreedyResult full_order(const MethodInputs& in, const graph::Group& g) const {
    return rc::greedy_selection(layer_views(in, g), g.size, g.size, greedy_options(in, g));
  }

  // Per-layer counts from one-layer accuracy curves (rc::solve_equal_accuracy): each layer alone
  // keeps a prefix of its greedy order, its next layer reweighted, at every grid fraction.
  Selection equal_accuracy_counts(const MethodInputs& in, const Budget& budget) {
    MIPP_CHECK(budget.target == "units" && budget.scope != "custom", kInvalidArgument,
               "method submodular: the equal-accuracy budget needs --target units and the global or layer scope");
    MIPP_CHECK(in.verification != nullptr && in.verification->labels.defined(), kInvalidArgument,
               "method submodular: the equal-accuracy budget needs labelled verification data");
    const graph::Analysis& a = in.analysis;
    int64_t total = 0;
    for (const graph::Group& g : a.groups) total += g.size;
    const int64_t max_kept = total - static_cast<int64_t>(std::ceil(budget.sparsity * static_cast<double>(total) - 1e-9));
    std::vector<rc::LayerCurve> curves;
    for (const graph::Group& g : a.groups) {
      const rc::GreedyResult order = full_order(in, g);
      rc::LayerCurve c;
      c.size = g.size;
      c.floor = unit_floor(g, budget);
      for (double f : rc::one_layer_fractions()) {
        const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(f * static_cast<double>(g.size)));
        if (!c.counts.empty() && k <= c.counts.back()) continue;
        graph::KeepSets keep = graph::keep_all(a);
        keep[static_cast<size_t>(g.id)].assign(order.order.begin(), order.order.begin() + k);
        std::sort(keep[static_cast<size_t>(g.id)].begin(), keep[static_cast<size_t>(g.id)].end());
        ReweightOptions options;
        options.variant = variant_;
        options.patches = grams_.patches;
        options.float64 = grams_.float64;
        options.batch_size = grams_.batch_size;
        const Reweighted r = reweight(in.net, a, keep, *in.calibration, options, in.seed, util::null_sink());
        c.counts.push_back(k);
        c.accuracy.push_back(train::evaluate(graph::slice(r.network, a, keep), *in.verification).top1);
      }
      in.sink.record({{"event", "one_layer_curve"}, {"group", g.name}, {"curve", c}});
      curves.push_back(std::move(c));
    }
    const rc::EqualAccuracyBudget solved = rc::solve_equal_accuracy(curves, max_kept);
    details_["equal_accuracy"] = {{"target_accuracy", solved.target_accuracy},
                                  {"verification_samples", in.verification->size()},
                                  {"curves", curves}};
    Selection counts;
    for (const graph::Group& g : a.groups) {
      const int64_t k = solved.counts[static_cast<size_t>(g.id)];
      std::vector<int64_t> placeholder(static_cast<size_t>(k));
      std::iota(placeholder.begin(), placeholder.end(), 0);
      counts.keep.push_back(placeholder);
      if (k == unit_floor(g, budget) && k < g.size) counts.at_min_width.push_back(g.name);
    }
    return counts;
  }

  // The group's consumers on the original network's activations (the layer variant).
  std::vector<rc::ConsumerView> layer_views(const MethodInputs& in, const graph::Group& g) const {
    rc::GramOptions grams = grams_;
    grams.seed = util::derive_seed(in.seed, fmt::format("submodular scores {}", g.id));
    return rc::consumer_views(g, rc::consumer_grams(in.net, in.net, rc::consumer_nodes(g), *in.calibration, grams,
                                                    util::null_sink()));
  }

  std::string variant_;
  double epsilon_;
  std::string budget_;      // "scope" (the --scope's counts) or "equal-accuracy"
  int64_t verification_;    // labelled samples for the equal-accuracy budget
  rc::GramOptions grams_;
  json details_ = json::object();
};

}  // namespace

reconstruction::GramOptions gram_options_from(const std::string& method, const json& options,
                                              const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : options.items()) {
    MIPP_CHECK(std::find(allowed.begin(), allowed.end(), key) != allowed.end(), kInvalidArgument,
               "method {}: unknown option '{}' (it has: {})", method, key, fmt::join(allowed, ", "));
  }
  rc::GramOptions g;
  g.patches = options.value("patches", std::string("all"));
  g.float64 = options.value("float64", true);
  g.batch_size = options.value("batch_size", int64_t{128});
  MIPP_CHECK(g.patches == "all" || g.patches == "disjoint" || g.patches == "random", kInvalidArgument,
             "method {}: patches '{}' must be all, disjoint or random", method, g.patches);
  MIPP_CHECK(g.batch_size >= 1, kInvalidArgument, "method {}: batch_size {} must be at least 1", method, g.batch_size);
  return g;
}

std::unique_ptr<Method> make_submodular_method(const json& options) {
  const rc::GramOptions grams = gram_options_from(
      "submodular", options,
      {"variant", "epsilon", "budget", "verification_samples", "patches", "float64", "batch_size"});
  const std::string variant = options.value("variant", std::string("asym"));
  MIPP_CHECK(variant == "asym" || variant == "seq" || variant == "layer", kInvalidArgument,
             "method submodular: variant '{}' must be asym, seq or layer", variant);
  const double epsilon = options.value("epsilon", 0.0);
  MIPP_CHECK(epsilon >= 0 && epsilon < 1, kInvalidArgument,
             "method submodular: epsilon {} must be 0 (plain greedy) or in (0, 1)", epsilon);
  const std::string budget = options.value("budget", std::string("scope"));
  MIPP_CHECK(budget == "scope" || budget == "equal-accuracy", kInvalidArgument,
             "method submodular: budget '{}' must be scope (follow --scope) or equal-accuracy", budget);
  const int64_t verification = options.value("verification_samples", int64_t{10000});
  MIPP_CHECK(verification >= 1, kInvalidArgument, "method submodular: verification_samples {} must be at least 1",
             verification);
  return std::make_unique<SubmodularMethod>(variant, epsilon, budget, verification, grams);
}

}  // namespace mipp::prune
