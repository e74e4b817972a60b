// prune::Method — how much each unit matters. A method maps a network and its groups to one score
// per unit (higher = more important); select_units() turns scores into keep-sets under a Budget,
// the same way for every method, so methods compare fairly.
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
#include "mipp/graph/analyze.h"
#include "mipp/graph/network.h"
#include "mipp/util/events.h"

namespace mipp::prune {

// Everything a method may use. Randomness comes from `seed` only.
struct MethodInputs {
  const graph::Network& net;
  const graph::Analysis& analysis;
  const data::Dataset* calibration;  // null for data-free runs; labels may be undefined
  uint64_t seed;
  util::EventSink& sink;
};

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string_view name() const = 0;
  // Whether score() needs MethodInputs::calibration (and labels).
  virtual bool needs_data() const { return false; }
  virtual bool needs_labels() const { return false; }
  // scores[g]: float [size of group g], one per unit, higher = more important.
  virtual std::vector<at::Tensor> score(const MethodInputs& in) = 0;
  // The options in effect, for reports.
  virtual nlohmann::json options() const { return nlohmann::json::object(); }
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
