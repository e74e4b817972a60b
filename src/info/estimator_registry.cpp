#include "mipp/info/estimator_registry.h"

#include <functional>

#include <nlohmann/json.hpp>
#include <fmt/ranges.h>

#include "mipp/info/gaussian.h"
#include "mipp/info/ksg.h"
#include "mipp/info/linear_proxy.h"
#include "mipp/info/mlp_proxy.h"
#include "mipp/util/error.h"

namespace mipp::info {

namespace {

struct Entry {
  std::string name;
  std::function<std::unique_ptr<Estimator>(const nlohmann::json&)> make;
  std::function<nlohmann::json()> defaults;
};

// Builds an estimator from its options struct's JSON; a type mismatch (a string for a number) is
// reported as the caller's bad option, not as an internal error.
template <typename Options, typename Make>
Entry entry(const char* name, Make make) {
  auto build = [name, make](const nlohmann::json& j) {
    Options o;
    try {
      o = j.get<Options>();
    } catch (const nlohmann::json::exception& e) {
      MIPP_FAIL(kInvalidArgument, "{} options {}: {}", name, j.dump(), e.what());
    }
    return make(o);
  };
  return {name, build, [] { return nlohmann::json(Options{}); }};
}

// The one table of estimators. No self-registration: the list stays visible and the linker keeps it.
const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = {
      entry<GaussianOptions>("gaussian", make_gaussian_estimator),
      entry<LinearOptions>("linear", make_linear_estimator),
      entry<KsgOptions>("ksg", make_ksg_estimator),
      entry<MlpOptions>("mlp", make_mlp_estimator),
  };
  return entries;
}

}  // namespace

const std::vector<std::string>& estimator_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Entry& e : table()) out.push_back(e.name);
    return out;
  }();
  return names;
}

namespace {

const Entry& find(const std::string& name) {
  for (const Entry& e : table()) {
    if (e.name == name) return e;
  }
  MIPP_FAIL(kNotFound, "unknown estimator '{}'; available: {}", name, fmt::join(estimator_names(), ", "));
}

}  // namespace

std::unique_ptr<Estimator> make_estimator(const std::string& name, const nlohmann::json& options) {
  const Entry& e = find(name);
  MIPP_CHECK(options.is_object(), kInvalidArgument, "estimator {}: options must be a JSON object", name);
  return e.make(options);
}

nlohmann::json estimator_options(const std::string& name) { return find(name).defaults(); }

}  // namespace mipp::info
