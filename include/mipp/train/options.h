// Options of training and fine-tuning. Defaults are a common recipe for small CIFAR/MNIST nets:
// SGD with momentum 0.9, weight decay 5e-4, cosine schedule, batch 128.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mipp::train {

struct OptimizerOptions {
  std::string name = "sgd";   // "sgd" or "adam"
  double lr = 0.05;           // base learning rate, > 0
  double momentum = 0.9;      // sgd: in [0, 1)
  bool nesterov = false;      // sgd: Nesterov momentum (needs momentum > 0)
  double weight_decay = 5e-4; // L2 penalty added to the gradient (PyTorch's weight_decay), >= 0
  double beta1 = 0.9;         // adam
  double beta2 = 0.999;       // adam
  double eps = 1e-8;          // adam
};

// Learning rate per epoch e (0-based) of E:
//   constant  lr
//   step      lr * gamma^floor(e / step_size)
//   multistep lr * gamma^(number of milestones <= e)
//   cosine    lr * (1 + cos(pi * e / E)) / 2   (annealed to 0 over the run, per epoch)
struct ScheduleOptions {
  std::string name = "cosine";
  int step_size = 30;              // step: epochs between decays, >= 1
  double gamma = 0.1;              // step, multistep: decay factor in (0, 1]
  std::vector<int> milestones;     // multistep: epochs where the rate decays, increasing
};

// OTO's group-sparsity training (group_sparsity.h); off unless target > 0.
struct GroupSparsityOptions {
  double target = 0;             // fraction of the units driven to zero, in [0, 1); 0 = off
  int64_t min_width = 1;         // units every group keeps non-zero, >= 1
  double lambda = 1e-3;          // the group-lasso weight (OTOv2's default for SGD), > 0
  double lambda_amplify = 2;     // >= 1
  double lambda_max_factor = 10; // lambda_u <= lambda * this, >= 1
  double epsilon = 0;            // half-space margin, in [0, 1)
};

struct TrainOptions {
  // Affect results:
  int epochs = 10;                 // >= 1
  int64_t batch_size = 128;        // >= 1; the last batch of an epoch may be smaller
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  double label_smoothing = 0.0;    // in [0, 1)
  GroupSparsityOptions group_sparsity;  // OTO: drive this fraction of the units to zero while training
  bool augment = false;            // random crop (padding 4) and horizontal flip, for CIFAR
  uint64_t seed = 0;               // data order, augmentation and dropout (sub-seeds by name)
  // Data-parallel runs (dist::world_size() > 1): each rank normalises with its own batch's
  // statistics, as PyTorch's DistributedDataParallel without SyncBatchNorm. When true, the
  // batch-norm running statistics are averaged over the ranks after every epoch, so the model
  // written and evaluated is every rank's; when false, rank 0's own are kept. No effect in one process.
  bool average_batch_norm_stats = true;
  // Affect only speed:
  int64_t eval_batch_size = 1000;
  // Checkpoints: a model file written atomically at the end, and after every epoch when
  // checkpoint_every_epoch; resume continues from it when it exists.
  std::string checkpoint_path;
  bool checkpoint_every_epoch = false;
  bool resume = false;
};

// Throw Error(kInvalidArgument) naming the field and value.
void validate(const OptimizerOptions& o);
void validate(const ScheduleOptions& s, int epochs);
void validate(const TrainOptions& t);
void validate(const GroupSparsityOptions& o);

double learning_rate(const ScheduleOptions& s, double base_lr, int epoch, int epochs);

void to_json(nlohmann::json& j, const OptimizerOptions& o);
void to_json(nlohmann::json& j, const ScheduleOptions& s);
void to_json(nlohmann::json& j, const TrainOptions& t);
void to_json(nlohmann::json& j, const GroupSparsityOptions& o);
void from_json(const nlohmann::json& j, GroupSparsityOptions& o);

}  // namespace mipp::train
