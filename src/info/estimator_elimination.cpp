#include "info/estimator_elimination.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/tensor.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/columns.h"
#include "mipp/info/estimator.h"
#include "mipp/info/estimator_registry.h"
#include "mipp/util/error.h"

namespace mipp::info {

namespace {

class EstimatorElimination final : public Elimination {
 public:
  EstimatorElimination(std::unique_ptr<Estimator> estimator, const EliminationProblem& problem)
      : estimator_(std::move(estimator)) {
    const std::string context = fmt::format("{} elimination", estimator_->name());
    const at::Tensor x = check_sample_matrix(context, "x", problem.x, -1, 1);
    const at::Tensor y = check_sample_matrix(context, "y", problem.y, x.size(0), 1);
    const StandardizedColumns xs = standardize_columns(x);
    x_ = xs.data;
    y_ = y;
    units_ = unit_positions(context, xs, x.size(1), problem.units);
    active_.assign(units_.size(), true);
  }

  std::string_view estimator() const override { return estimator_->name(); }

  std::vector<double> unit_information() override {
    std::vector<double> out(units_.size(), 0.0);
    for (size_t u = 0; u < units_.size(); ++u) {
      if (units_[u].empty()) continue;
      out[u] = estimator_->mutual_information(columns({static_cast<int64_t>(u)}), y_).value;
      ++fits_;
    }
    return out;
  }

  UnitTest test(int64_t unit) override {
    check_active(unit);
    UnitTest t;
    if (units_[static_cast<size_t>(unit)].empty()) return t;  // a dead unit: no information
    std::vector<int64_t> others;
    for (int64_t v = 0; v < static_cast<int64_t>(units_.size()); ++v) {
      if (v != unit && active_[static_cast<size_t>(v)]) others.push_back(v);
    }
    const at::Tensor xu = columns({unit});
    const at::Tensor z = columns(others);  // undefined when no other unit has columns: plain MI
    t.information = estimator_->conditional_mutual_information(xu, y_, z).value;
    const TestResult r = estimator_->test_positive_cmi(xu, y_, z, 0.95);
    t.statistic = r.statistic;
    t.log_p_value = std::log(std::max(r.p_value, DBL_TRUE_MIN));
    t.loss_increase = std::max(0.0, t.information);
    fits_ += 2;
    return t;
  }

  void remove(int64_t unit) override {
    check_active(unit);
    active_[static_cast<size_t>(unit)] = false;
  }

  int64_t fits() const override { return fits_; }

 private:
  void check_active(int64_t unit) const {
    MIPP_CHECK(unit >= 0 && unit < static_cast<int64_t>(units_.size()), kInvalidArgument, "{} elimination: unit {} of {}",
               estimator_->name(), unit, units_.size());
    MIPP_CHECK(active_[static_cast<size_t>(unit)], kInvalidArgument, "{} elimination: unit {} was removed",
               estimator_->name(), unit);
  }

  // The standardised columns of `units`, side by side; undefined when they have none.
  at::Tensor columns(const std::vector<int64_t>& units) const {
    std::vector<int64_t> index;
    for (int64_t u : units) {
      for (int64_t c : units_[static_cast<size_t>(u)]) index.push_back(c);
    }
    if (index.empty()) return {};
    return x_.index_select(1, at::tensor(index, at::kLong));
  }

  std::unique_ptr<Estimator> estimator_;
  at::Tensor x_, y_;                        // standardised unit columns (constant ones dropped), target
  std::vector<std::vector<int64_t>> units_;  // columns of x_ per unit
  std::vector<bool> active_;
  int64_t fits_ = 0;
};

}  // namespace

std::unique_ptr<Elimination> make_estimator_elimination(const std::string& estimator, const nlohmann::json& options,
                                                        const EliminationProblem& problem) {
  nlohmann::json o = options;
  if (estimator_options(estimator).contains("seed")) o["seed"] = problem.seed;
  return std::make_unique<EstimatorElimination>(make_estimator(estimator, o), problem);
}

}  // namespace mipp::info
