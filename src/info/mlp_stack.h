// A stack of G independent MLPs trained in lockstep — the engine of the mlp estimator and of its
// elimination (include/mipp/info/mlp_proxy.h).
//
// Why a stack: the mlp proxy fits many small models on the same samples (R repeats; in MIPP's
// elimination also one model per unit and repeat). Each of them alone is a handful of tiny matrix
// products per batch, where per-operation overhead dominates; stacked, layer l of all G models is
// one batched product on [G, batch, width] tensors. The models share nothing: the
// stack's loss is the sum of the models' losses, so each model's gradient is its own, and Adam is
// elementwise, so training G models together equals training each alone (up to float rounding).
//
// Model g reads input view `view[g]` of `inputs` [V, n, k] (e.g. the full x, or one unit's columns
// zero-padded to k), multiplied by `mask[g]` (zero for masked columns), and uses the split and the
// batch order of repeat `repeat[g]`. Gradients are written by hand (ReLU MLP, MSE or softmax
// cross-entropy): no autograd graph, so no per-step graph allocations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::info {

// Training targets. mse: values [n, m] float32, standardised; cross_entropy: values [n] int64.
struct MlpTargets {
  at::Tensor values;
  int64_t classes = 0;  // C for cross_entropy, 0 for mse
  int64_t outputs() const { return classes > 0 ? classes : values.size(1); }
};

// y [n, dy] float64 CPU (checked finite). mse: standardised columns, constant ones dropped (the
// result may have 0 columns). cross_entropy: y must be one column of integers in [0, 100000);
// C = max + 1. `context` prefixes error messages.
MlpTargets prepare_targets(std::string_view context, const at::Tensor& y, const std::string& loss);

// Row indices of one repeat, each part [rows] int64, disjoint, covering 0..n-1.
struct MlpSplit {
  at::Tensor train, validation, test;
};

// A random split: round(held_out_fraction * n) rows held out, the first half (rounded down) for
// validation, the rest for test. Throws Error(kInvalidArgument) naming held_out_fraction when a
// part would be empty.
MlpSplit split_rows(std::string_view context, int64_t n, double held_out_fraction, uint64_t seed);

// Parameters of the stack: weights[l] [G, in_l, out_l] and biases[l] [G, 1, out_l], float32.
struct MlpParams {
  std::vector<at::Tensor> weights, biases;
  int64_t models() const { return weights.front().size(0); }
  MlpParams clone() const;
};

// PyTorch's nn.Linear default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and
// biases, for G models of `hidden_layers` layers of `hidden_width` from k inputs to `outputs`.
MlpParams init_params(int64_t models, int64_t inputs, int64_t hidden_width, int64_t hidden_layers, int64_t outputs,
                      uint64_t seed);

struct MlpStackProblem {
  at::Tensor inputs;                // [V, n, k] float32
  const MlpTargets* targets = nullptr;
  const std::vector<MlpSplit>* splits = nullptr;  // per repeat; equal part sizes across repeats
  std::vector<int64_t> view;        // [G]: the input view of model g
  std::vector<int64_t> repeat;      // [G]: the repeat of model g
  at::Tensor mask;                  // [G, 1, k] float32 input multiplier, or undefined for none
};

struct MlpTraining {
  double learning_rate = 1e-3;
  int64_t batch_size = 256;
  int64_t max_epochs = 100;  // 0: no step, the start is evaluated as is
  int64_t patience = 5;
  uint64_t seed = 0;         // batch order: repeat r draws from derive_seed(seed, "batches/r")
};

struct MlpStackFit {
  MlpParams params;                // per model, the parameters of its best validation epoch
  std::vector<double> test_loss;   // [G] mean loss of those parameters on the test rows
  int64_t epochs = 0;              // epochs run (the longest-training model's)
};

// Trains the stack from `start` with Adam (fresh moments), early stopping per model on its
// validation loss (the start itself is a candidate, so a warm-started refit never ends worse on
// validation than it began). Throws Error(kNumerical) if a test loss is not finite.
MlpStackFit train_stack(const MlpStackProblem& problem, const MlpParams& start, const MlpTraining& training);

// Per repeat, the test loss of the best constant prediction fitted on the training rows:
// mse: the training mean of each target; cross_entropy: the training class frequencies with
// add-one smoothing (a class absent from training would otherwise cost infinite loss).
std::vector<double> constant_test_loss(const MlpTargets& targets, const std::vector<MlpSplit>& splits);

}  // namespace mipp::info
