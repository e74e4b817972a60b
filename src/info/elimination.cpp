#include "mipp/info/elimination.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "info/linear_elimination.h"
#include "info/mlp_elimination.h"
#include "mipp/util/error.h"

namespace mipp::info {

namespace {

struct Entry {
  std::string name;
  std::function<std::unique_ptr<Elimination>(const nlohmann::json&, const EliminationProblem&)> make;
};

// The one table of estimators that can drive MIPP's backward elimination.
const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = {
      {"linear", make_linear_elimination},
      {"mlp", make_mlp_elimination},
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

std::unique_ptr<Elimination> make_elimination(const std::string& estimator, const nlohmann::json& options,
                                              const EliminationProblem& problem) {
  for (const Entry& e : table()) {
    if (e.name == estimator) {
      MIPP_CHECK(options.is_object(), kInvalidArgument, "estimator {}: options must be a JSON object", estimator);
      return e.make(options, problem);
    }
  }
  MIPP_FAIL(kNotFound, "unknown estimator '{}' for elimination; available: {}", estimator,
            fmt::join(elimination_estimators(), ", "));
}

}  // namespace mipp::info
