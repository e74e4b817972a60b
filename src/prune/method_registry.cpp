#include <functional>
#include <fmt/ranges.h>

#include "mipp/prune/method.h"
#include "mipp/util/error.h"
#include "prune/methods/baselines.h"
#include "prune/methods/gradient_methods.h"
#include "prune/methods/mipp/mipp_method.h"
#include "prune/methods/reconstruction_methods.h"

namespace mipp::prune {

namespace {

struct Entry {
  MethodInfo info;
  std::function<std::unique_ptr<Method>(const nlohmann::json&)> make;
};

// The one table of methods. No self-registration: the list stays visible and the linker keeps it.
const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = {
      {{"mipp", "MIPP: keep units that add information about the pruned next layer, outputs to inputs "
                "(Westphal et al. 2024); data, no labels"},
       make_mipp_method},
      {{"random", "uniform random scores from --seed; the control every method must beat"}, make_random_method},
      {{"magnitude", "L1 (or L2, {\"norm\": 2}) norm of each unit's weights (Li et al. 2017)"}, make_magnitude_method},
      {{"bn-scale", "|gamma| of the unit's batch-norm (Liu et al. 2017, network slimming)"}, make_bn_scale_method},
      {{"synflow", "synaptic flow |theta| * dR/d|theta|, data-free (Tanaka et al. 2020); use --rounds 100"},
       make_synflow_method},
      {{"snip", "structured SNIP: |sum of theta * dL/dtheta| over each unit's weights (Lee et al. 2019); data"},
       make_snip_method},
      {{"grasp", "GraSP: gradient-flow preservation, -theta * Hg per unit (Wang et al. 2020); data"},
       make_grasp_method},
      {{"prospr", "ProsPr: meta-gradient of the loss after 3 unrolled SGD steps (Alizadeh et al. 2022); data"},
       make_prospr_method},
      {{"sosp", "SOSP-H: second-order loss change of removing each unit, -theta*g + theta*(H theta)/2, "
                "Gauss-Newton H (Nonnenmacher et al. 2022); data"},
       make_sosp_method},
      {{"taylor", "Taylor-FO-BN: squared gate gradient after batch-norm (Molchanov et al. 2019); data"},
       make_taylor_method},
      {{"submodular", "greedy column-subset selection with least-squares reweighting of the next layer "
                      "(El Halabi et al. 2022); data, no labels"},
       make_submodular_method},
      {{"oto", "OTO: removes the units that group-sparsity training (mipp train --group-sparsity) zeroed, by the "
               "norm of each unit's zero-invariant group (Chen et al. 2021, 2023)"},
       make_oto_method},
      {{"thinet", "ThiNet: remove the units the next layer's output misses least, then rescale (Luo et al. "
                  "2017); the same fraction per layer; data, no labels"},
       make_thinet_method},
  };
  return entries;
}

}  // namespace

const std::vector<MethodInfo>& method_list() {
  static const std::vector<MethodInfo> infos = [] {
    std::vector<MethodInfo> out;
    for (const Entry& e : table()) out.push_back(e.info);
    return out;
  }();
  return infos;
}

std::unique_ptr<Method> make_method(const std::string& name, const nlohmann::json& options) {
  for (const Entry& e : table()) {
    if (e.info.name == name) {
      MIPP_CHECK(options.is_object(), kInvalidArgument, "method {}: options must be a JSON object", name);
      return e.make(options);
    }
  }
  std::vector<std::string> names;
  for (const Entry& e : table()) names.push_back(e.info.name);
  MIPP_FAIL(kNotFound, "unknown method '{}'; available: {}", name, fmt::join(names, ", "));
}

}  // namespace mipp::prune
