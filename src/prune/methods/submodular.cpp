#include <torch/torch.h>

#include <algorithm>

#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "prune/methods/reconstruction_methods.h"
#include "prune/reconstruction/greedy_selection.h"
#include "prune/reconstruction/sequential.h"

namespace mipp::prune {

namespace {

using nlohmann::json;
namespace rc = reconstruction;

class SubmodularMethod : public Method {
 public:
  SubmodularMethod(std::string variant, double epsilon, rc::GramOptions grams)
      : variant_(std::move(variant)), epsilon_(epsilon), grams_(std::move(grams)) {}
  std::string_view name() const override { return "submodular"; }
  bool needs_data() const override { return true; }
  json options() const override {
    return {{"variant", variant_}, {"epsilon", epsilon_}, {"patches", grams_.patches}, {"float64", grams_.float64},
            {"batch_size", grams_.batch_size}};
  }
  json details() const override { return details_; }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    // Scores for a global ranking: each layer's greedy order on the original activations, scored by
    // the gain when chosen (made non-increasing along the order, so a threshold keeps a prefix).
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) {
      const std::vector<rc::ConsumerView> views = layer_views(in, g);
      const rc::GreedyResult order = rc::greedy_selection(views, g.size, g.size, greedy_options(in, g));
      at::Tensor s = torch::zeros({g.size}, torch::kFloat64);
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
    Selection counts = budget.scope == "global" ? select_units(in.net, in.analysis, score(in), budget)
                                                : rc::counts_for_budget(in.net, in.analysis, budget);
    std::vector<int64_t> sizes;
    for (const auto& k : counts.keep) sizes.push_back(static_cast<int64_t>(k.size()));
    auto choose = [&](const graph::Group& g, const std::vector<rc::ConsumerView>& views, int64_t keep) {
      return rc::greedy_selection(views, g.size, keep, greedy_options(in, g)).order;
    };
    rc::SequentialOptions options{variant_, rc::WeightUpdate::kLeastSquares, grams_};
    options.grams.seed = util::derive_seed(in.seed, "submodular");
    rc::SequentialResult r = rc::prune_sequentially(in.net, in.analysis, *in.calibration, sizes, choose, options, in.sink);
    details_ = {{"layers", r.layers}};
    Selection out = std::move(counts);
    out.keep = std::move(r.keep);
    out.achieved = measure_sparsity(in.net, in.analysis, out.keep, budget.target);
    out.network = std::move(r.network);
    return out;
  }

 private:
  rc::GreedyOptions greedy_options(const MethodInputs& in, const graph::Group& g) const {
    return {epsilon_, util::derive_seed(in.seed, fmt::format("submodular greedy {}", g.id))};
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
  const rc::GramOptions grams =
      gram_options_from("submodular", options, {"variant", "epsilon", "patches", "float64", "batch_size"});
  const std::string variant = options.value("variant", std::string("asym"));
  MIPP_CHECK(variant == "asym" || variant == "seq" || variant == "layer", kInvalidArgument,
             "method submodular: variant '{}' must be asym, seq or layer", variant);
  const double epsilon = options.value("epsilon", 0.0);
  MIPP_CHECK(epsilon >= 0 && epsilon < 1, kInvalidArgument,
             "method submodular: epsilon {} must be 0 (plain greedy) or in (0, 1)", epsilon);
  return std::make_unique<SubmodularMethod>(variant, epsilon, grams);
}

}  // namespace mipp::prune
