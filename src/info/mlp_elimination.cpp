#include "info/mlp_elimination.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/columns.h"
#include "info/mlp_stack.h"
#include "info/student_t.h"
#include "mipp/info/mlp_proxy.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"

namespace mipp::info {

namespace {

constexpr const char* kContext = "mlp elimination";

// Float count that one chunk of unit models may hold per activation tensor ([models, rows, width]):
// 2^24 floats = 64 MiB, so a few live tensors stay well under a gigabyte.
constexpr int64_t kChunkFloats = int64_t{1} << 24;

class MlpElimination final : public Elimination {
 public:
  MlpElimination(const MlpOptions& options, const EliminationProblem& problem) : o_(options), seed_(problem.seed) {
    const at::Tensor x = check_sample_matrix(kContext, "x", problem.x, -1, 1);
    const at::Tensor y = check_sample_matrix(kContext, "y", problem.y, x.size(0), 1);
    const int64_t n = x.size(0), d = x.size(1);
    targets_ = prepare_targets(kContext, y, o_.loss);

    // Standardised x with its columns in place (constant ones become 0, like a masked column), so
    // unit column indices need no remapping.
    const StandardizedColumns xs = standardize_columns(x);
    at::Tensor inputs = at::zeros({n, d}, at::kFloat);
    if (!xs.kept.empty()) inputs.index_copy_(1, at::tensor(xs.kept, at::kLong), xs.data.to(at::kFloat));
    inputs_ = inputs.unsqueeze(0);  // [1, n, d]
    std::vector<bool> variable(static_cast<size_t>(d), false);
    for (int64_t c : xs.kept) variable[static_cast<size_t>(c)] = true;

    // Columns outside every unit are not inputs at all (as in the linear elimination).
    mask_ = at::zeros({d}, at::kFloat);
    std::vector<bool> used(static_cast<size_t>(d), false);
    for (size_t u = 0; u < problem.units.size(); ++u) {
      std::vector<int64_t> columns;
      for (int64_t c : problem.units[u]) {
        MIPP_CHECK(c >= 0 && c < d, kInvalidArgument, "{}: unit {} names column {} of {}", kContext, u, c, d);
        MIPP_CHECK(!used[static_cast<size_t>(c)], kInvalidArgument, "{}: column {} is in two units", kContext, c);
        used[static_cast<size_t>(c)] = true;
        if (variable[static_cast<size_t>(c)]) columns.push_back(c);
      }
      for (int64_t c : columns) mask_[c] = 1;
      unit_columns_.push_back(columns);
      active_.push_back(true);
    }

    for (int64_t r = 0; r < o_.repeats; ++r) {
      splits_.push_back(split_rows(kContext, n, o_.held_out_fraction,
                                   util::derive_seed(seed_, "split/" + std::to_string(r))));
    }
    if (targets_.outputs() == 0) return;  // constant targets: nothing to predict, every test is 0
    const MlpStackFit fit =
        train_stack(reference_problem(mask_), init_params(o_.repeats, d, o_.hidden_width, o_.hidden_layers,
                                                          targets_.outputs(), util::derive_seed(seed_, "init")),
                    training(o_.max_epochs, util::derive_seed(seed_, "fit")));
    reference_ = fit.params;
    fits_ += o_.repeats;
  }

  std::string_view estimator() const override { return "mlp"; }

  std::vector<double> unit_information() override {
    std::vector<double> out(unit_columns_.size(), 0.0);
    std::vector<int64_t> units;  // units with at least one non-constant column
    int64_t width = 0;
    for (size_t u = 0; u < unit_columns_.size(); ++u) {
      if (unit_columns_[u].empty()) continue;
      units.push_back(static_cast<int64_t>(u));
      width = std::max(width, static_cast<int64_t>(unit_columns_[u].size()));
    }
    if (units.empty() || targets_.outputs() == 0) return out;
    const std::vector<double> constant = constant_test_loss(targets_, splits_);
    const int64_t rows = std::max({o_.batch_size, splits_.front().validation.size(0), splits_.front().test.size(0)});
    const int64_t per_model = rows * std::max({width, o_.unit_hidden_width, targets_.outputs()});
    const int64_t chunk = std::max<int64_t>(1, kChunkFloats / (per_model * o_.repeats));
    const int64_t n = inputs_.size(1);
    for (size_t begin = 0; begin < units.size(); begin += static_cast<size_t>(chunk)) {
      const size_t end = std::min(units.size(), begin + static_cast<size_t>(chunk));
      // One input view per unit: its columns, zero-padded to `width` [units, n, width].
      MlpStackProblem p;
      p.inputs = at::zeros({static_cast<int64_t>(end - begin), n, width}, at::kFloat);
      for (size_t i = begin; i < end; ++i) {
        const auto& columns = unit_columns_[static_cast<size_t>(units[i])];
        p.inputs[static_cast<int64_t>(i - begin)]
            .slice(1, 0, static_cast<int64_t>(columns.size()))
            .copy_(inputs_[0].index_select(1, at::tensor(columns, at::kLong)));
        for (int64_t r = 0; r < o_.repeats; ++r) {
          p.view.push_back(static_cast<int64_t>(i - begin));
          p.repeat.push_back(r);
        }
      }
      p.targets = &targets_;
      p.splits = &splits_;
      const int64_t models = static_cast<int64_t>(p.view.size());
      const std::string stage = "unit/" + std::to_string(units[begin]);
      MlpParams start = init_params(models, width, o_.unit_hidden_width, 1, targets_.outputs(),
                                    util::derive_seed(seed_, stage + "/init"));
      start.weights.back().zero_();  // start as the constant 0 = the mean of the standardised targets
      start.biases.back().zero_();
      MlpTraining t = training(o_.unit_max_epochs, util::derive_seed(seed_, stage + "/fit"));
      t.learning_rate = o_.unit_learning_rate;
      const MlpStackFit fit = train_stack(p, start, t);
      for (size_t i = begin; i < end; ++i) {
        double sum = 0;
        for (int64_t r = 0; r < o_.repeats; ++r) {
          sum += constant[static_cast<size_t>(r)] -
                 fit.test_loss[static_cast<size_t>(static_cast<int64_t>(i - begin) * o_.repeats + r)];
        }
        out[static_cast<size_t>(units[i])] = sum / static_cast<double>(o_.repeats);
      }
      fits_ += models;
    }
    return out;
  }

  UnitTest test(int64_t unit) override {
    check_unit(unit);
    const auto& columns = unit_columns_[static_cast<size_t>(unit)];
    // A dead unit (only constant columns) or nothing to predict: masking changes nothing.
    if (columns.empty() || targets_.outputs() == 0) return UnitTest{};
    const std::vector<double>& control = control_loss();
    const at::Tensor mask = mask_.clone();
    mask.index_fill_(0, at::tensor(columns, at::kLong), 0);
    MlpStackFit fit = train_stack(reference_problem(mask), reference_, training(o_.refit_epochs, refit_seed()));
    fits_ += o_.repeats;
    std::vector<double> delta(static_cast<size_t>(o_.repeats));
    for (size_t r = 0; r < delta.size(); ++r) delta[r] = fit.test_loss[r] - control[r];
    const OneSidedTTest t = one_sided_t_test(delta);
    cache_ = Cached{unit, removed_, std::move(fit)};
    UnitTest out;
    out.information = t.mean;
    out.loss_increase = t.mean;  // the mean held-out loss per target of standardised targets
    out.statistic = t.statistic;
    out.log_p_value = t.log_p_value;
    return out;
  }

  void remove(int64_t unit) override {
    check_unit(unit);
    MIPP_CHECK(std::count(active_.begin(), active_.end(), true) >= 2, kInvalidArgument,
               "{}: unit {} is the last active unit", kContext, unit);
    const auto& columns = unit_columns_[static_cast<size_t>(unit)];
    if (!columns.empty() && targets_.outputs() > 0) {
      if (!(cache_ && cache_->unit == unit && cache_->removed == removed_)) test(unit);
      reference_ = cache_->fit.params;
      mask_.index_fill_(0, at::tensor(columns, at::kLong), 0);
    }
    cache_.reset();
    control_.reset();
    active_[static_cast<size_t>(unit)] = false;
    ++removed_;
  }

  int64_t fits() const override { return fits_; }

 private:
  struct Cached {
    int64_t unit = -1, removed = -1;  // the unit tested and removed_ at that time
    MlpStackFit fit;
  };

  // The R reference models on the full input, columns multiplied by `mask` [d].
  MlpStackProblem reference_problem(const at::Tensor& mask) const {
    MlpStackProblem p;
    p.inputs = inputs_;
    p.targets = &targets_;
    p.splits = &splits_;
    p.view.assign(static_cast<size_t>(o_.repeats), 0);
    for (int64_t r = 0; r < o_.repeats; ++r) p.repeat.push_back(r);
    p.mask = mask.view({1, 1, -1}).expand({o_.repeats, 1, mask.size(0)}).contiguous();
    return p;
  }

  // Batch order of this state's refits: the same for the control and every unit's test, so that a
  // Delta reflects the mask, not a different sequence of batches.
  uint64_t refit_seed() const { return util::derive_seed(seed_, "refit/" + std::to_string(removed_)); }

  // loss_control_r: g_r refitted like a test but with no extra column masked; once per state.
  const std::vector<double>& control_loss() {
    if (!control_) {
      control_ = train_stack(reference_problem(mask_), reference_, training(o_.refit_epochs, refit_seed())).test_loss;
      fits_ += o_.repeats;
    }
    return *control_;
  }

  MlpTraining training(int64_t epochs, uint64_t seed) const {
    MlpTraining t;
    t.learning_rate = o_.learning_rate;
    t.batch_size = o_.batch_size;
    t.max_epochs = epochs;
    t.patience = o_.patience;
    t.seed = seed;
    return t;
  }

  void check_unit(int64_t unit) const {
    MIPP_CHECK(unit >= 0 && unit < static_cast<int64_t>(unit_columns_.size()), kInvalidArgument, "{}: unit {} of {}",
               kContext, unit, unit_columns_.size());
    MIPP_CHECK(active_[static_cast<size_t>(unit)], kInvalidArgument, "{}: unit {} was removed", kContext, unit);
  }

  MlpOptions o_;
  uint64_t seed_ = 0;
  MlpTargets targets_;
  at::Tensor inputs_;                               // [1, n, d] float32, standardised
  at::Tensor mask_;                                 // [d] 1 for columns of active units, else 0
  std::vector<std::vector<int64_t>> unit_columns_;  // non-constant columns of x per unit
  std::vector<bool> active_;
  int64_t removed_ = 0, fits_ = 0;
  std::vector<MlpSplit> splits_;                    // per repeat
  MlpParams reference_;                             // g_r, a stack of R models
  std::optional<std::vector<double>> control_;      // loss_control_r of the current state
  std::optional<Cached> cache_;                     // the refits of the last test
};

}  // namespace

std::unique_ptr<Elimination> make_mlp_elimination(const nlohmann::json& options, const EliminationProblem& problem) {
  MlpOptions o = options.get<MlpOptions>();
  validate(o);
  return std::make_unique<MlpElimination>(o, problem);
}

}  // namespace mipp::info
