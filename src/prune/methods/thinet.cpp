#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "prune/methods/reconstruction_methods.h"
#include "prune/reconstruction/greedy_selection.h"
#include "prune/reconstruction/sequential.h"

namespace mipp::prune {

namespace {

using nlohmann::json;
namespace rc = reconstruction;

// ThiNet prunes the same fraction of every layer (Luo et al. 2017): a global budget becomes a
// per-layer one, and the report says so. Each layer is fitted on the network already pruned before
// it (the seq variant), as ThiNet prunes one layer after the other.
class ThinetMethod : public Method {
 public:
  explicit ThinetMethod(rc::GramOptions grams) : grams_(std::move(grams)) {}
  std::string_view name() const override { return "thinet"; }
  bool needs_data() const override { return true; }
  json options() const override {
    return {{"patches", grams_.patches}, {"float64", grams_.float64}, {"batch_size", grams_.batch_size}};
  }
  json details() const override { return details_; }

  std::vector<at::Tensor> score(const MethodInputs&) override {
    MIPP_FAIL(kNotSupported, "method thinet chooses units layer by layer and has no global scores");
  }

  Selection select(const MethodInputs& in, const Budget& budget) override {
    Budget per_layer = budget;
    if (per_layer.scope == "global") per_layer.scope = "layer";
    Selection counts = rc::counts_for_budget(in.net, in.analysis, per_layer);
    auto choose = [](const graph::Group& g, const std::vector<rc::ConsumerView>& views, int64_t keep) {
      return rc::thinet_removal(views, g.size, keep);
    };
    rc::SequentialOptions options{"seq", rc::WeightUpdate::kScaling, grams_};
    options.grams.seed = util::derive_seed(in.seed, "thinet");
    details_ = {{"scope", per_layer.scope}};
    return rc::select_sequentially(in, std::move(counts), budget.target, choose, options, details_["layers"]);
  }

 private:
  rc::GramOptions grams_;
  json details_ = json::object();
};

}  // namespace

std::unique_ptr<Method> make_thinet_method(const json& options) {
  return std::make_unique<ThinetMethod>(gram_options_from("thinet", options, {"patches", "float64", "batch_size"}));
}

}  // namespace mipp::prune
