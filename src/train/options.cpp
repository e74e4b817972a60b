#include "mipp/train/options.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "mipp/dist/process_group.h"
#include "mipp/util/error.h"

namespace mipp::train {

void validate(const OptimizerOptions& o) {
  MIPP_CHECK(o.name == "sgd" || o.name == "adam", kInvalidArgument, "optimizer '{}': use sgd or adam", o.name);
  MIPP_CHECK(o.lr > 0 && std::isfinite(o.lr), kInvalidArgument, "learning rate {}: must be positive", o.lr);
  MIPP_CHECK(o.momentum >= 0 && o.momentum < 1, kInvalidArgument, "momentum {}: must be in [0, 1)", o.momentum);
  MIPP_CHECK(!o.nesterov || o.momentum > 0, kInvalidArgument, "nesterov needs a momentum above 0");
  MIPP_CHECK(o.weight_decay >= 0, kInvalidArgument, "weight decay {}: must be >= 0", o.weight_decay);
  MIPP_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1 && o.eps > 0, kInvalidArgument,
             "adam betas ({}, {}) must be in [0, 1) and eps {} positive", o.beta1, o.beta2, o.eps);
}

void validate(const ScheduleOptions& s, int epochs) {
  MIPP_CHECK(s.name == "constant" || s.name == "step" || s.name == "multistep" || s.name == "cosine",
             kInvalidArgument, "schedule '{}': use constant, step, multistep or cosine", s.name);
  MIPP_CHECK(s.step_size >= 1, kInvalidArgument, "step size {}: must be at least 1 epoch", s.step_size);
  MIPP_CHECK(s.gamma > 0 && s.gamma <= 1, kInvalidArgument, "gamma {}: must be in (0, 1]", s.gamma);
  for (size_t i = 0; i < s.milestones.size(); ++i) {
    MIPP_CHECK(s.milestones[i] >= 1 && s.milestones[i] < epochs && (i == 0 || s.milestones[i] > s.milestones[i - 1]),
               kInvalidArgument, "milestones: must increase and lie within 1..{} epochs, got {}", epochs - 1,
               s.milestones[i]);
  }
  MIPP_CHECK(s.name != "multistep" || !s.milestones.empty(), kInvalidArgument,
             "the multistep schedule needs milestones");
}

void validate(const TrainOptions& t) {
  MIPP_CHECK(t.epochs >= 1, kInvalidArgument, "epochs {}: must be at least 1", t.epochs);
  MIPP_CHECK(t.batch_size >= 1, kInvalidArgument, "batch size {}: must be at least 1", t.batch_size);
  MIPP_CHECK(t.eval_batch_size >= 1, kInvalidArgument, "eval batch size {}: must be at least 1", t.eval_batch_size);
  MIPP_CHECK(t.label_smoothing >= 0 && t.label_smoothing < 1, kInvalidArgument,
             "label smoothing {}: must be in [0, 1)", t.label_smoothing);
  MIPP_CHECK(!t.resume || !t.checkpoint_path.empty(), kInvalidArgument, "resume needs a checkpoint path");
  const int ranks = dist::world_size();
  MIPP_CHECK(t.batch_size % ranks == 0, kInvalidArgument,
             "--batch-size {}: a data-parallel run of {} ranks splits every batch evenly; use a multiple of {}",
             t.batch_size, ranks, ranks);
  validate(t.optimizer);
  validate(t.schedule, t.epochs);
  validate(t.group_sparsity);
}

double learning_rate(const ScheduleOptions& s, double base_lr, int epoch, int epochs) {
  if (s.name == "step") return base_lr * std::pow(s.gamma, epoch / s.step_size);
  if (s.name == "multistep") {
    int passed = 0;
    for (int m : s.milestones) passed += m <= epoch;
    return base_lr * std::pow(s.gamma, passed);
  }
  if (s.name == "cosine") return base_lr * 0.5 * (1.0 + std::cos(M_PI * epoch / epochs));
  return base_lr;
}

void to_json(nlohmann::json& j, const OptimizerOptions& o) {
  j = {{"name", o.name},   {"lr", o.lr},       {"momentum", o.momentum}, {"nesterov", o.nesterov},
       {"weight_decay", o.weight_decay}, {"beta1", o.beta1}, {"beta2", o.beta2}, {"eps", o.eps}};
}

void to_json(nlohmann::json& j, const ScheduleOptions& s) {
  j = {{"name", s.name}, {"step_size", s.step_size}, {"gamma", s.gamma}, {"milestones", s.milestones}};
}

void to_json(nlohmann::json& j, const TrainOptions& t) {
  j = {{"epochs", t.epochs},       {"batch_size", t.batch_size}, {"optimizer", t.optimizer},
       {"schedule", t.schedule},   {"label_smoothing", t.label_smoothing}, {"augment", t.augment},
       {"seed", t.seed}};
  // Only when on: recipes and checkpoints of runs without it read as they did before it existed.
  if (t.group_sparsity.target > 0) j["group_sparsity"] = t.group_sparsity;
}

void validate(const GroupSparsityOptions& o) {
  MIPP_CHECK(o.target >= 0 && o.target < 1, kInvalidArgument, "--group-sparsity {}: must be in [0, 1)", o.target);
  MIPP_CHECK(o.min_width >= 1, kInvalidArgument, "group sparsity: min_width {}: must be at least 1", o.min_width);
  MIPP_CHECK(o.lambda > 0, kInvalidArgument, "--group-lambda {}: must be > 0", o.lambda);
  MIPP_CHECK(o.lambda_amplify >= 1, kInvalidArgument, "group sparsity: lambda_amplify {}: must be >= 1",
             o.lambda_amplify);
  MIPP_CHECK(o.lambda_max_factor >= 1, kInvalidArgument, "group sparsity: lambda_max_factor {}: must be >= 1",
             o.lambda_max_factor);
  MIPP_CHECK(o.epsilon >= 0 && o.epsilon < 1, kInvalidArgument, "group sparsity: epsilon {}: must be in [0, 1)",
             o.epsilon);
}

void to_json(nlohmann::json& j, const GroupSparsityOptions& o) {
  j = {{"target", o.target},
       {"min_width", o.min_width},
       {"lambda", o.lambda},
       {"lambda_amplify", o.lambda_amplify},
       {"lambda_max_factor", o.lambda_max_factor},
       {"epsilon", o.epsilon}};
}

void from_json(const nlohmann::json& j, GroupSparsityOptions& o) {
  static const std::vector<std::string> keys = {"target",         "min_width",         "lambda",
                                                "lambda_amplify", "lambda_max_factor", "epsilon"};
  for (const auto& [key, value] : j.items()) {
    MIPP_CHECK(std::find(keys.begin(), keys.end(), key) != keys.end(), kInvalidArgument,
               "group sparsity: unknown option '{}' (it has: {})", key, fmt::join(keys, ", "));
  }
  o.target = j.value("target", o.target);
  o.min_width = j.value("min_width", o.min_width);
  o.lambda = j.value("lambda", o.lambda);
  o.lambda_amplify = j.value("lambda_amplify", o.lambda_amplify);
  o.lambda_max_factor = j.value("lambda_max_factor", o.lambda_max_factor);
  o.epsilon = j.value("epsilon", o.epsilon);
}

}  // namespace mipp::train
