#include "mipp/info/elimination.h"

#include <functional>

#include <nlohmann/json.hpp>
#include <fmt/ranges.h>

#include "info/estimator_elimination.h"
#include "info/linear_elimination.h"
#include "info/mlp_elimination.h"
#include "mipp/util/error.h"

namespace mipp::info {

namespace {

struct Entry {
  std::string name;
  std::function<std::unique_ptr<Elimination>(const nlohmann::json&, const EliminationProblem&)> make;
  std::function<int64_t(int64_t columns, int64_t targets)> min_samples;
};

// The one table of estimators that can drive MIPP's backward elimination.
const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = {
      {"linear", make_linear_elimination, [](int64_t columns, int64_t targets) { return columns + targets + 2; }},
      {"mlp", make_mlp_elimination, [](int64_t, int64_t) { return int64_t{0}; }},
      // By refits, for comparison (estimator_elimination.h): d full estimates per pass.
      {"gaussian",
       [](const nlohmann::json& o, const EliminationProblem& p) { return make_estimator_elimination("gaussian", o, p); },
       [](int64_t columns, int64_t targets) { return columns + targets + 2; }},
      {"ksg", [](const nlohmann::json& o, const EliminationProblem& p) { return make_estimator_elimination("ksg", o, p); },
       [](int64_t, int64_t) { return int64_t{0}; }},
  };
  return entries;
}

}  // namespace

const std::vector<std::string>& elimination_estimators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Entry& e : table()) out.push_back(e.name);
    return out;
  }();
  return names;
}

namespace {

const Entry& entry(const std::string& estimator) {
  for (const Entry& e : table()) {
    if (e.name == estimator) return e;
  }
  MIPP_FAIL(kNotFound, "unknown estimator '{}' for elimination; available: {}", estimator,
            fmt::join(elimination_estimators(), ", "));
}

}  // namespace

int64_t elimination_min_samples(const std::string& estimator, int64_t columns, int64_t targets) {
  return entry(estimator).min_samples(columns, targets);
}

std::unique_ptr<Elimination> make_elimination(const std::string& estimator, const nlohmann::json& options,
                                              const EliminationProblem& problem) {
  const Entry& e = entry(estimator);
  MIPP_CHECK(options.is_object(), kInvalidArgument, "estimator {}: options must be a JSON object", estimator);
  MIPP_CHECK(!problem.target_weights.defined() || estimator == "linear", kInvalidArgument,
             "estimator {}: target weights are supported by the linear estimator only", estimator);
  return e.make(options, problem);
}

}  // namespace mipp::info
