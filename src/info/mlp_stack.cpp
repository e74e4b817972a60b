#include "info/mlp_stack.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/bincount.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/randperm.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/threshold_backward.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include <cmath>

#include "info/columns.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"

namespace mipp::info {

namespace {

constexpr int64_t kMaxClasses = 100000;

at::Generator generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Stacks one index tensor per repeat [rows] into [G, rows] by each model's repeat.
at::Tensor rows_per_model(const std::vector<MlpSplit>& splits, const std::vector<int64_t>& repeat,
                          at::Tensor MlpSplit::*part) {
  std::vector<at::Tensor> rows;
  rows.reserve(repeat.size());
  for (int64_t r : repeat) rows.push_back(splits[static_cast<size_t>(r)].*part);
  return at::stack(rows);
}

// Inputs of the models for rows [G, N] (row indices into 0..n-1): [G, N, k], masked.
at::Tensor gather_inputs(const MlpStackProblem& p, const at::Tensor& view_offset, const at::Tensor& rows) {
  const int64_t g = rows.size(0), count = rows.size(1), k = p.inputs.size(2);
  const at::Tensor flat = p.inputs.view({-1, k});
  at::Tensor x = flat.index_select(0, (rows + view_offset).reshape(-1)).view({g, count, k});
  if (p.mask.defined()) x.mul_(p.mask);
  return x;
}

// Targets for rows [G, N]: mse [G, N, m] float32; cross_entropy [G, N] int64.
at::Tensor gather_targets(const MlpTargets& t, const at::Tensor& rows) {
  const at::Tensor picked = t.values.index_select(0, rows.reshape(-1));
  if (t.classes > 0) return picked.view(rows.sizes());
  return picked.view({rows.size(0), rows.size(1), t.values.size(1)});
}

// out[g] = a[g] b[g] for a [G, r, k], b [G, k, c] (any strides): one BLAS call per model, the
// models spread over ATen's threads. Why not at::bmm: on the CPU it makes the same per-model calls
// but lets each small product use all threads itself, and OpenBLAS's waiting threads then spin;
// on a busy machine with 2 threads a 5-model product took 65 ms instead of 1 ms. Inside
// at::parallel_for each product runs on one thread, and the result does not depend on how models
// are spread.
at::Tensor stacked_mm(const at::Tensor& a, const at::Tensor& b) {
  at::Tensor out = at::empty({a.size(0), a.size(1), b.size(2)}, a.options());
  at::parallel_for(0, a.size(0), 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      at::Tensor o = out.select(0, g);
      at::mm_out(o, a.select(0, g), b.select(0, g));
    }
  });
  return out;
}

// Forward pass; `activations`, when given, receives each layer's input (x, then each ReLU output)
// for the backward pass.
at::Tensor forward(const MlpParams& p, const at::Tensor& x, std::vector<at::Tensor>* activations) {
  at::Tensor h = x;
  const size_t layers = p.weights.size();
  for (size_t l = 0; l < layers; ++l) {
    if (activations) activations->push_back(h);
    at::Tensor a = stacked_mm(h, p.weights[l]).add_(p.biases[l]);
    if (l + 1 < layers) a.relu_();
    h = a;
  }
  return h;
}

// Mean loss per model [G] (float64) of outputs [G, N, o] against targets from gather_targets.
at::Tensor loss_per_model(const MlpTargets& t, const at::Tensor& out, const at::Tensor& target) {
  if (t.classes > 0) {
    return -at::log_softmax(out, 2).gather(2, target.unsqueeze(2)).mean({1, 2}).to(at::kDouble);
  }
  return (out - target).pow(2).mean({1, 2}).to(at::kDouble);
}

// d(sum over models of their mean loss) / d(outputs) [G, N, o].
at::Tensor loss_gradient(const MlpTargets& t, const at::Tensor& out, const at::Tensor& target) {
  const int64_t count = out.size(1);
  if (t.classes > 0) {
    at::Tensor grad = at::softmax(out, 2);
    grad.scatter_add_(2, target.unsqueeze(2), at::full({out.size(0), count, 1}, -1.0f, out.options()));
    return grad.div_(static_cast<double>(count));
  }
  return (out - target).mul_(2.0 / static_cast<double>(count * out.size(2)));
}

// Adam (Kingma & Ba 2015) with PyTorch's defaults beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
struct Adam {
  std::vector<at::Tensor> first, second;  // one per parameter tensor, in the order of params()
  int64_t step = 0;

  static std::vector<at::Tensor*> params(MlpParams& p) {
    std::vector<at::Tensor*> out;
    for (size_t l = 0; l < p.weights.size(); ++l) {
      out.push_back(&p.weights[l]);
      out.push_back(&p.biases[l]);
    }
    return out;
  }

  explicit Adam(MlpParams& p) {
    for (at::Tensor* t : params(p)) {
      first.push_back(at::zeros_like(*t));
      second.push_back(at::zeros_like(*t));
    }
  }

  void update(MlpParams& p, const std::vector<at::Tensor>& grads, double lr) {
    constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-8;
    ++step;
    const double correction1 = 1 - std::pow(kBeta1, static_cast<double>(step));
    const double correction2 = 1 - std::pow(kBeta2, static_cast<double>(step));
    const std::vector<at::Tensor*> ps = params(p);
    for (size_t i = 0; i < ps.size(); ++i) {
      first[i].mul_(kBeta1).add_(grads[i], 1 - kBeta1);
      second[i].mul_(kBeta2).addcmul_(grads[i], grads[i], 1 - kBeta2);
      const at::Tensor denominator = (second[i].sqrt() / std::sqrt(correction2)).add_(kEpsilon);
      ps[i]->addcdiv_(first[i], denominator, -lr / correction1);
    }
  }
};

// Gradients of the stack's summed loss, in the order of Adam::params.
std::vector<at::Tensor> gradients(const MlpParams& p, const MlpTargets& t, const at::Tensor& x,
                                  const at::Tensor& target) {
  std::vector<at::Tensor> activations;
  const at::Tensor out = forward(p, x, &activations);
  at::Tensor delta = loss_gradient(t, out, target);  // d loss / d (pre-activation of layer l)
  const size_t layers = p.weights.size();
  std::vector<at::Tensor> grads(2 * layers);
  for (size_t l = layers; l-- > 0;) {
    grads[2 * l] = stacked_mm(activations[l].transpose(1, 2), delta);
    grads[2 * l + 1] = delta.sum(1, /*keepdim=*/true);
    if (l > 0) {
      // ReLU backward: the gradient passes where the layer's output (the next layer's input) is > 0.
      delta = at::threshold_backward(stacked_mm(delta, p.weights[l].transpose(1, 2)), activations[l], 0);
    }
  }
  return grads;
}

}  // namespace

MlpTargets prepare_targets(std::string_view context, const at::Tensor& y, const std::string& loss) {
  MlpTargets t;
  if (loss == "cross_entropy") {
    MIPP_CHECK(y.size(1) == 1, kInvalidArgument,
               "{}: loss cross_entropy needs y as one column of class ids, y has {} columns", context, y.size(1));
    const at::Tensor ids = y.select(1, 0);
    MIPP_CHECK((ids == ids.round()).all().item<bool>() && (ids >= 0).all().item<bool>() &&
                   (ids < kMaxClasses).all().item<bool>(),
               kInvalidArgument, "{}: loss cross_entropy needs integer class ids in [0, {}) in y", context,
               kMaxClasses);
    t.values = ids.to(at::kLong).contiguous();
    t.classes = t.values.max().item<int64_t>() + 1;
    return t;
  }
  MIPP_CHECK(loss == "mse", kInvalidArgument, "{}: loss '{}': must be mse or cross_entropy", context, loss);
  t.values = standardize_columns(y).data.to(at::kFloat).contiguous();
  return t;
}

MlpSplit split_rows(std::string_view context, int64_t n, double held_out_fraction, uint64_t seed) {
  const auto held_out = static_cast<int64_t>(std::llround(held_out_fraction * static_cast<double>(n)));
  const int64_t validation = held_out / 2;
  MIPP_CHECK(validation >= 1 && held_out - validation >= 1 && n - held_out >= 1, kInvalidArgument,
             "{}: held_out_fraction {} of {} samples leaves an empty training, validation or test part "
             "(each needs at least one row)",
             context, held_out_fraction, n);
  at::Generator gen = generator(seed);
  const at::Tensor order = at::randperm(n, gen, at::kLong);
  MlpSplit s;
  s.validation = order.slice(0, 0, validation);
  s.test = order.slice(0, validation, held_out);
  s.train = order.slice(0, held_out);
  return s;
}

MlpParams MlpParams::clone() const {
  MlpParams out;
  for (const at::Tensor& w : weights) out.weights.push_back(w.clone());
  for (const at::Tensor& b : biases) out.biases.push_back(b.clone());
  return out;
}

MlpParams init_params(int64_t models, int64_t inputs, int64_t hidden_width, int64_t hidden_layers, int64_t outputs,
                      uint64_t seed) {
  at::Generator gen = generator(seed);
  MlpParams p;
  int64_t fan_in = inputs;
  for (int64_t l = 0; l <= hidden_layers; ++l) {
    const int64_t fan_out = l < hidden_layers ? hidden_width : outputs;
    const double bound = 1 / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
    p.weights.push_back(at::empty({models, fan_in, fan_out}, at::kFloat).uniform_(-bound, bound, gen));
    p.biases.push_back(at::empty({models, 1, fan_out}, at::kFloat).uniform_(-bound, bound, gen));
    fan_in = fan_out;
  }
  return p;
}

MlpStackFit train_stack(const MlpStackProblem& problem, const MlpParams& start, const MlpTraining& training) {
  const MlpTargets& t = *problem.targets;
  const std::vector<MlpSplit>& splits = *problem.splits;
  const int64_t g = static_cast<int64_t>(problem.view.size());
  const int64_t n = problem.inputs.size(1);
  const at::Tensor view_offset = (at::tensor(problem.view, at::kLong) * n).unsqueeze(1);  // [G, 1]
  const at::Tensor repeat_index = at::tensor(problem.repeat, at::kLong);

  const at::Tensor validation_rows = rows_per_model(splits, problem.repeat, &MlpSplit::validation);
  const at::Tensor x_validation = gather_inputs(problem, view_offset, validation_rows);
  const at::Tensor y_validation = gather_targets(t, validation_rows);

  MlpStackFit fit;
  MlpParams current = start.clone();
  fit.params = start.clone();
  at::Tensor best = loss_per_model(t, forward(current, x_validation, nullptr), y_validation);  // [G]
  at::Tensor since = at::zeros({g}, at::kLong);
  at::Tensor done = at::zeros({g}, at::kBool);

  std::vector<at::Generator> batch_generators;
  for (size_t r = 0; r < splits.size(); ++r) {
    batch_generators.push_back(generator(util::derive_seed(training.seed, "batches/" + std::to_string(r))));
  }
  Adam adam(current);
  const int64_t train_rows = splits.front().train.size(0);
  for (int64_t epoch = 0; epoch < training.max_epochs; ++epoch) {
    // This epoch's batch order per repeat [R, train_rows], then per model [G, train_rows].
    std::vector<at::Tensor> orders;
    for (size_t r = 0; r < splits.size(); ++r) {
      orders.push_back(splits[r].train.index_select(0, at::randperm(train_rows, batch_generators[r], at::kLong)));
    }
    const at::Tensor order = at::stack(orders).index_select(0, repeat_index);
    for (int64_t begin = 0; begin < train_rows; begin += training.batch_size) {
      const at::Tensor rows = order.slice(1, begin, std::min(begin + training.batch_size, train_rows));
      const std::vector<at::Tensor> grads =
          gradients(current, t, gather_inputs(problem, view_offset, rows), gather_targets(t, rows));
      adam.update(current, grads, training.learning_rate);
    }
    ++fit.epochs;
    // Early stopping, per model: keep the parameters of the best validation loss; a model whose
    // patience ran out keeps training with the others but no longer updates its best.
    const at::Tensor loss = loss_per_model(t, forward(current, x_validation, nullptr), y_validation);
    const at::Tensor improved = loss.lt(best).logical_and_(done.logical_not());
    best = at::where(improved, loss, best);
    const at::Tensor keep = improved.view({g, 1, 1});
    for (size_t l = 0; l < current.weights.size(); ++l) {
      fit.params.weights[l] = at::where(keep, current.weights[l], fit.params.weights[l]);
      fit.params.biases[l] = at::where(keep, current.biases[l], fit.params.biases[l]);
    }
    since = at::where(improved, at::zeros_like(since), since + 1);
    done.logical_or_(since.ge(training.patience));
    if (done.all().item<bool>()) break;
  }

  const at::Tensor test_rows = rows_per_model(splits, problem.repeat, &MlpSplit::test);
  const at::Tensor test = loss_per_model(t, forward(fit.params, gather_inputs(problem, view_offset, test_rows), nullptr),
                                         gather_targets(t, test_rows));
  fit.test_loss.assign(test.data_ptr<double>(), test.data_ptr<double>() + g);
  for (int64_t i = 0; i < g; ++i) {
    MIPP_CHECK(std::isfinite(fit.test_loss[static_cast<size_t>(i)]), kNumerical,
               "mlp: model {} of {} ended with test loss {} (diverged: lower learning_rate)", i, g,
               fit.test_loss[static_cast<size_t>(i)]);
  }
  return fit;
}

std::vector<double> constant_test_loss(const MlpTargets& targets, const std::vector<MlpSplit>& splits) {
  std::vector<double> out;
  for (const MlpSplit& s : splits) {
    if (targets.classes > 0) {
      const at::Tensor counts =
          at::bincount(targets.values.index_select(0, s.train), {}, targets.classes).to(at::kDouble) + 1;
      const at::Tensor log_p = (counts / counts.sum()).log();
      out.push_back(-log_p.index_select(0, targets.values.index_select(0, s.test)).mean().item<double>());
    } else {
      const at::Tensor train = targets.values.index_select(0, s.train).to(at::kDouble);
      const at::Tensor test = targets.values.index_select(0, s.test).to(at::kDouble);
      out.push_back((test - train.mean(0, /*keepdim=*/true)).pow(2).mean().item<double>());
    }
  }
  return out;
}

}  // namespace mipp::info
