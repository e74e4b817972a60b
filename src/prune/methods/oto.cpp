// oto: the removal half of OTO (Chen et al. 2021, 2023). Training with group sparsity
// (train/group_sparsity.h: `mipp train --group-sparsity S`, or a bench method's
// `group_sparsity_epochs`) drives a fraction of the units to exactly zero; this method scores every
// unit by the norm of its zero-invariant group (graph/unit_rows.h) and so removes the zero ones
// first. Removing a zero unit changes nothing the network computes, which is why OTO needs no
// fine-tuning. It reports how many zero units there were and how many removed units were not
// zero, and warns when removal had to take non-zero units (the budget asks for more than the
// training zeroed, or the network was not trained that way).
#include <ATen/core/Tensor.h>
#include <ATen/core/grad_mode.h>

#include "mipp/graph/unit_rows.h"
#include "mipp/util/error.h"
#include "prune/methods/baselines.h"

namespace mipp::prune {

namespace {

class OtoMethod : public Method {
 public:
  std::string_view name() const override { return "oto"; }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) scores.push_back(graph::unit_norms(in.net, g).cpu());
    return scores;
  }

  Selection select(const MethodInputs& in, const Budget& budget) override {
    const std::vector<at::Tensor> norms = score(in);
    Selection s = select_units(in.net, in.analysis, norms, budget);
    int64_t zero = 0, removed = 0, removed_nonzero = 0;
    for (const graph::Group& g : in.analysis.groups) {
      const at::Tensor n = norms[g.id].contiguous();  // float64, on the CPU
      const double* norm = n.data_ptr<double>();
      std::vector<bool> kept(static_cast<size_t>(g.size), false);
      for (int64_t u : s.keep[g.id]) kept[static_cast<size_t>(u)] = true;
      for (int64_t u = 0; u < g.size; ++u) {
        zero += norm[u] == 0;
        if (kept[static_cast<size_t>(u)]) continue;
        ++removed;
        removed_nonzero += norm[u] != 0;
      }
    }
    details_ = {{"zero_units", zero}, {"removed_units", removed}, {"removed_nonzero_units", removed_nonzero}};
    if (removed_nonzero > 0) {
      in.sink.message(util::LogLevel::kWarn,
                      fmt::format("oto: {} of the {} removed units are not zero ({} units are): removing them changes "
                                  "the outputs; train with --group-sparsity at this sparsity first",
                                  removed_nonzero, removed, zero));
    }
    return s;
  }

  nlohmann::json details() const override { return details_; }

 private:
  nlohmann::json details_ = nlohmann::json::object();
};

}  // namespace

std::unique_ptr<Method> make_oto_method(const nlohmann::json& options) {
  MIPP_CHECK(options.empty(), kInvalidArgument, "method oto takes no options, got {}", options.dump());
  return std::make_unique<OtoMethod>();
}

}  // namespace mipp::prune
