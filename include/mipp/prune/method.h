// prune::Method — how much each unit matters. A method maps a network and its groups to one score
// per unit (higher = more important); select_units() turns scores into keep-sets under a Budget,
// the same way for every method, so methods compare fairly. MIPP is the exception: it decides which
// units to keep layer by layer with a statistical test, so it overrides select() instead.
//
// Adding a method: a header declaring its options and make_<name>_method(), a .cpp with the class
// in an anonymous namespace, one line in src/prune/method_registry.cpp, a test, a docs paragraph.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "mipp/data/dataset.h"
#include "mipp/prune/budget.h"
#include "mipp/graph/analyze.h"
#include "mipp/graph/network.h"
#include "mipp/util/events.h"

namespace mipp::prune {

// Everything a method may use. Randomness comes from `seed` only.
struct MethodInputs {
  // On its device (net.device()): tensors a method feeds to graph::forward as parameters or masks
  // go there too, and so do labels that meet its outputs.
  const graph::Network& net;
  const graph::Analysis& analysis;
  const data::Dataset* calibration;  // on the host; null for data-free runs; labels may be undefined
  uint64_t seed;
  util::EventSink& sink;
  // Where a long-running method saves its decisions as it goes (empty: it does not), and whether
  // to continue from what is saved there. Only mipp uses it.
  std::string checkpoint_path = {};
  bool resume = false;
  // Labelled samples held out for methods that evaluate candidate prunings (submodular's
  // equal-accuracy budget); null unless the method asks for them.
  const data::Dataset* verification = nullptr;
};

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string_view name() const = 0;
  // Whether score() needs MethodInputs::calibration (and labels).
  virtual bool needs_data() const { return false; }
  virtual bool needs_labels() const { return false; }
  // Calibration samples the method reads when the user does not say.
  virtual int64_t default_calibration_samples() const { return 512; }
  // Labelled verification samples it needs in MethodInputs::verification (0: none).
  virtual int64_t verification_samples() const { return 0; }
  // scores[g]: float [size of group g] on the CPU, one per unit, higher = more important.
  virtual std::vector<at::Tensor> score(const MethodInputs& in) = 0;
  // Keep-sets under `budget`. The default scores the units and calls select_units(), so every
  // scoring method selects the same way; methods that decide keep-sets themselves (mipp) override
  // it.
  virtual Selection select(const MethodInputs& in, const Budget& budget);
  // False when the method's own options decide how much to remove (mipp with a confidence level)
  // and the budget's sparsity is not used; the floors (min width) still are.
  virtual bool uses_budget_sparsity() const { return true; }
  // The options in effect, for reports.
  virtual nlohmann::json options() const { return nlohmann::json::object(); }
  // How tables and plots name this configuration of the method, so that two different procedures
  // never share a name: "MIPP (linear-Gaussian)", "MIPP (paper mode)", "MIPP (linear-Gaussian,
  // next_layer pre-activations)". Methods that do not override it are named by their id, and
  // bench::method_titles() adds their options that differ from the defaults.
  virtual std::string title() const { return std::string(name()); }
  // What the last select() found beyond the keep-sets (per-layer statistics), for reports.
  virtual nlohmann::json details() const { return nlohmann::json::object(); }
};

struct MethodInfo {
  std::string name;
  std::string description;
};

// Every method, in the order `mipp prune --list-methods` prints them.
const std::vector<MethodInfo>& method_list();

// Throws Error(kNotFound) listing the methods for an unknown name, Error(kInvalidArgument) naming
// the option for a bad or unknown option.
std::unique_ptr<Method> make_method(const std::string& name, const nlohmann::json& options = nlohmann::json::object());

}  // namespace mipp::prune
