#include "mipp/info/mlp_proxy.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros_like.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/columns.h"
#include "info/mlp_stack.h"
#include "info/student_t.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"

namespace mipp::info {

namespace {

constexpr const char* kName = "mlp";

// The per-repeat value from the reduced model's (or the constant's) test loss and the full model's:
// nats by the Gaussian-channel conversion for mse, the loss difference for cross-entropy (see the
// header for why one log of the mean-loss ratio).
double repeat_value(const MlpTargets& t, double reduced_loss, double full_loss) {
  if (t.classes > 0) return reduced_loss - full_loss;
  return 0.5 * static_cast<double>(t.values.size(1)) * std::log(reduced_loss / full_loss);
}

class MlpEstimator final : public Estimator {
 public:
  explicit MlpEstimator(MlpOptions o) : o_(std::move(o)) {}

  std::string_view name() const override { return kName; }

  Estimate conditional_mutual_information(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) override {
    return estimate(x, y, z);
  }

  TestResult test_positive_cmi(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                               double confidence) override {
    check_confidence(kName, confidence);
    const OneSidedTTest t = one_sided_t_test(repeat_values(x, y, z).values);
    TestResult r;
    r.statistic = t.statistic;
    r.p_value = std::exp(t.log_p_value);
    r.significant = 1 - r.p_value >= confidence;
    return r;
  }

 private:
  struct Repeats {
    std::vector<double> values;  // [R], nats
    int64_t samples = 0;
  };

  Estimate estimate(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) {
    const Repeats r = repeat_values(x, y, z);
    const OneSidedTTest t = one_sided_t_test(r.values);
    Estimate e;
    e.value = t.mean;
    e.std_error = t.std_error;
    e.samples = r.samples;
    return e;
  }

  // Fits the R repeats (MI: x -> y; CMI: z -> y and (x, z) -> y, one stack of 2R models) and
  // returns the per-repeat values.
  Repeats repeat_values(const at::Tensor& x, const at::Tensor& y, const at::Tensor& z) {
    const CheckedInputs in = check_inputs(kName, x, y, z);
    const int64_t n = in.n();
    const MlpTargets targets = prepare_targets(kName, in.y, o_.loss);
    // Constant columns carry no information (see columns.h); with none left there is nothing to fit.
    const at::Tensor xs = standardize_columns(in.x).data.to(at::kFloat);
    const at::Tensor zs = in.dz() > 0 ? standardize_columns(in.z).data.to(at::kFloat) : at::Tensor();
    const int64_t dx = xs.size(1), dz = zs.defined() ? zs.size(1) : 0;
    const auto repeats = static_cast<size_t>(o_.repeats);
    Repeats out;
    out.samples = n;
    out.values.assign(repeats, 0.0);
    if (dx == 0 || targets.outputs() == 0) return out;

    std::vector<MlpSplit> splits;
    for (size_t r = 0; r < repeats; ++r) {
      splits.push_back(split_rows(kName, n, o_.held_out_fraction, util::derive_seed(o_.seed, "split/" + std::to_string(r))));
    }
    MlpStackProblem problem;
    problem.targets = &targets;
    problem.splits = &splits;
    if (dz == 0) {
      problem.inputs = xs.unsqueeze(0);  // [1, n, dx]
    } else {
      // View 0 = [0 | z] (the reduced model: zero columns give no signal and, with zero input, get
      // no gradient), view 1 = [x | z]: both models of a repeat in one stack.
      problem.inputs = at::stack({at::cat({at::zeros_like(xs), zs}, 1), at::cat({xs, zs}, 1)});
    }
    const int64_t views = problem.inputs.size(0);
    for (int64_t v = 0; v < views; ++v) {
      for (size_t r = 0; r < repeats; ++r) {
        problem.view.push_back(v);
        problem.repeat.push_back(static_cast<int64_t>(r));
      }
    }
    const MlpParams start = init_params(views * o_.repeats, dx + dz, o_.hidden_width, o_.hidden_layers,
                                        targets.outputs(), util::derive_seed(o_.seed, "init"));
    MlpTraining training;
    training.learning_rate = o_.learning_rate;
    training.batch_size = o_.batch_size;
    training.max_epochs = o_.max_epochs;
    training.patience = o_.patience;
    training.seed = util::derive_seed(o_.seed, "fit");
    const MlpStackFit fit = train_stack(problem, start, training);

    const std::vector<double> constant = dz == 0 ? constant_test_loss(targets, splits) : std::vector<double>();
    for (size_t r = 0; r < repeats; ++r) {
      const double reduced = dz == 0 ? constant[r] : fit.test_loss[r];
      const double full = fit.test_loss[(views - 1) * repeats + r];
      out.values[r] = repeat_value(targets, reduced, full);
      MIPP_CHECK(std::isfinite(out.values[r]), kNumerical,
                 "{}: repeat {} gives {} (reduced loss {}, full loss {}): y is predicted exactly or not at all",
                 kName, r, out.values[r], reduced, full);
    }
    return out;
  }

  MlpOptions o_;
};

}  // namespace

void validate(const MlpOptions& o) {
  MIPP_CHECK(o.hidden_width >= 1, kInvalidArgument, "mlp hidden_width {}: must be >= 1", o.hidden_width);
  MIPP_CHECK(o.hidden_layers >= 0, kInvalidArgument, "mlp hidden_layers {}: must be >= 0", o.hidden_layers);
  MIPP_CHECK(o.activation == "relu", kInvalidArgument, "mlp activation '{}': only relu is supported", o.activation);
  MIPP_CHECK(o.learning_rate > 0 && std::isfinite(o.learning_rate), kInvalidArgument,
             "mlp learning_rate {}: must be finite and > 0", o.learning_rate);
  MIPP_CHECK(o.batch_size >= 1, kInvalidArgument, "mlp batch_size {}: must be >= 1", o.batch_size);
  MIPP_CHECK(o.max_epochs >= 1, kInvalidArgument, "mlp max_epochs {}: must be >= 1", o.max_epochs);
  MIPP_CHECK(o.patience >= 1, kInvalidArgument, "mlp patience {}: must be >= 1", o.patience);
  MIPP_CHECK(o.held_out_fraction > 0 && o.held_out_fraction < 1, kInvalidArgument,
             "mlp held_out_fraction {}: must be in (0, 1)", o.held_out_fraction);
  MIPP_CHECK(o.refit_epochs >= 0, kInvalidArgument, "mlp refit_epochs {}: must be >= 0", o.refit_epochs);
  MIPP_CHECK(o.repeats >= 2, kInvalidArgument, "mlp repeats {}: must be >= 2 (the t-test needs a spread)",
             o.repeats);
  MIPP_CHECK(o.loss == "mse" || o.loss == "cross_entropy", kInvalidArgument,
             "mlp loss '{}': must be mse or cross_entropy", o.loss);
  MIPP_CHECK(o.unit_hidden_width >= 1, kInvalidArgument, "mlp unit_hidden_width {}: must be >= 1",
             o.unit_hidden_width);
  MIPP_CHECK(o.unit_learning_rate > 0 && std::isfinite(o.unit_learning_rate), kInvalidArgument,
             "mlp unit_learning_rate {}: must be finite and > 0", o.unit_learning_rate);
  MIPP_CHECK(o.unit_max_epochs >= 1, kInvalidArgument, "mlp unit_max_epochs {}: must be >= 1", o.unit_max_epochs);
}

void to_json(nlohmann::json& j, const MlpOptions& o) {
  j = {{"hidden_width", o.hidden_width},
       {"hidden_layers", o.hidden_layers},
       {"activation", o.activation},
       {"learning_rate", o.learning_rate},
       {"batch_size", o.batch_size},
       {"max_epochs", o.max_epochs},
       {"patience", o.patience},
       {"held_out_fraction", o.held_out_fraction},
       {"refit_epochs", o.refit_epochs},
       {"repeats", o.repeats},
       {"loss", o.loss},
       {"seed", o.seed},
       {"unit_hidden_width", o.unit_hidden_width},
       {"unit_max_epochs", o.unit_max_epochs},
       {"unit_learning_rate", o.unit_learning_rate}};
}

void from_json(const nlohmann::json& j, MlpOptions& o) {
  o.hidden_width = j.value("hidden_width", o.hidden_width);
  o.hidden_layers = j.value("hidden_layers", o.hidden_layers);
  o.activation = j.value("activation", o.activation);
  o.learning_rate = j.value("learning_rate", o.learning_rate);
  o.batch_size = j.value("batch_size", o.batch_size);
  o.max_epochs = j.value("max_epochs", o.max_epochs);
  o.patience = j.value("patience", o.patience);
  o.held_out_fraction = j.value("held_out_fraction", o.held_out_fraction);
  o.refit_epochs = j.value("refit_epochs", o.refit_epochs);
  o.repeats = j.value("repeats", o.repeats);
  o.loss = j.value("loss", o.loss);
  o.seed = j.value("seed", o.seed);
  o.unit_hidden_width = j.value("unit_hidden_width", o.unit_hidden_width);
  o.unit_max_epochs = j.value("unit_max_epochs", o.unit_max_epochs);
  o.unit_learning_rate = j.value("unit_learning_rate", o.unit_learning_rate);
}

std::unique_ptr<Estimator> make_mlp_estimator(const MlpOptions& o) {
  validate(o);
  return std::make_unique<MlpEstimator>(o);
}

}  // namespace mipp::info
