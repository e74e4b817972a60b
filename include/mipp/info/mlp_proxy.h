// The mlp estimator: mutual information as the loss reduction of a small neural predictor — the
// MI proxy of MIPP (Westphal et al., arXiv 2411.00147, §4.2), after Covert, Lundberg & Lee
// (NeurIPS 2020, SAGE):
//   I(X; Y)     ~ E[l(f_0, Y)] - E[l(f_X(X), Y)]          f_0 the best constant prediction,
//   I(X; Y | Z) ~ E[l(f_Z(Z), Y)] - E[l(f_XZ(X, Z), Y)]   f_X, f_Z, f_XZ MLPs fitted to predict Y.
// It is a proxy, consistent rather than accurate: MIPP only compares values, and the paper prefers
// it to slow, accurate estimators for that reason.
//
// Each estimate is made R times (`repeats`); repeat r has its own seed for the initialisation, the
// split of the samples and the batch order, and in a CMI both models of repeat r share its split
// and batch order (a paired design). Per repeat the samples are split into training rows (the
// MLP's gradient steps), validation rows (early stopping) and test rows (the reported loss): the
// held-out fraction is halved between validation and test, because a loss read on the rows that
// chose the stopping epoch is biased low for the model but not for the constant, which would make
// an independent y look informative.
//
// Units. With loss "cross_entropy" (y one column of integer class ids 0..C-1) the per-repeat value
// is the loss difference itself, in nats: with a Bayes-optimal model it is the MI. With loss "mse"
// (y [n, m] continuous; each target column standardised, constant ones dropped) the per-repeat
// value is the Gaussian-channel conversion of the mean squared errors L (mean over test rows and
// the m targets):
//   value_r = m/2 * log(L_reduced / L_full),
// with L_reduced the constant's loss (MI) or f_Z's loss (CMI). For one target and a Gaussian
// residual this is exactly the MI of y with its prediction; for m targets it treats the residual
// as isotropic — one log of the mean ratio rather than a sum of per-target logs, so that a loss
// reduction shared by correlated targets is not counted once per target.
//
// Estimate: value = mean over repeats, std_error = sd over repeats / sqrt(R) (sd with divisor R-1).
// test_positive_cmi: the one-sided t-test of the R per-repeat values (paired differences),
// statistic t = mean / std_error, p = P(T_{R-1} >= t). When all repeats agree exactly (sd = 0),
// statistic = +inf and p = 0 if the mean is > 0, else statistic = 0 and p = 1.
//
// Determinism: every random draw comes from generators seeded by `seed` (derive_seed per repeat and
// stage); the global torch generator is neither used nor changed. The same seed and the same
// at::get_num_threads() give identical results. The MLPs run in float32 on the CPU whatever the
// input dtype (inputs are standardised in float64 first).
//
// Cost: R fits (MI) or 2R fits (CMI) of up to `max_epochs` epochs; the R (or 2R) models train
// together as one stack of batched matrix products. Measured at LeNet-5's fc1 size in MIPP's
// elimination (n = 2048, 120 units, 84 targets, R = 5; on a 2-core machine busy with compilers):
// one thread, reference fit 0.96 s, one unit test 0.18 s, unit_information 10.4 s; two threads,
// 173 s, 47 s and 31 s — the threads of each small parallel region wait on each other when the
// cores are oversubscribed, so prefer one thread on a busy machine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/info/estimator.h"

namespace mipp::info {

struct MlpOptions {
  // Affect results:
  // Hidden layers and their width. 0 hidden layers gives a linear (softmax) predictor. MIPP's paper
  // says "a simple MLP"; one layer of 64 is small enough to refit hundreds of times on CPU.
  int64_t hidden_width = 64;
  int64_t hidden_layers = 1;
  std::string activation = "relu";  // only "relu"
  // Adam (Kingma & Ba 2015; beta1 0.9, beta2 0.999, eps 1e-8 as PyTorch) step size and batch size.
  double learning_rate = 1e-3;
  int64_t batch_size = 256;
  // Epochs of the first (full) fit; training stops earlier when the validation loss has not improved
  // for `patience` epochs, and the parameters of the best validation epoch are kept. The paper's
  // v2 appendix: "100 epochs ... with early stopping".
  int64_t max_epochs = 100;
  int64_t patience = 5;
  // Fraction of the samples held out per repeat, half for early stopping and half for the reported
  // loss (see above). In (0, 1); both halves and the training part need at least one row.
  double held_out_fraction = 0.2;
  // Epochs of a warm-started refit in MIPP's elimination (the paper: refits are trained "not to the
  // same extent as the first time"); early stopping as above. 0 evaluates the masked model as is.
  int64_t refit_epochs = 10;
  // R, the number of repeats; >= 2 (the t-test needs a spread). The paper uses 5.
  int64_t repeats = 5;
  // "mse" (continuous targets) or "cross_entropy" (y one column of class ids).
  std::string loss = "mse";
  // Root seed of the estimator (the elimination uses its problem's seed instead).
  uint64_t seed = 0;
  // Elimination's unit_information(): each unit's MLP (unit columns -> y) is this wide, has one
  // hidden layer, trains at most this many epochs at this learning rate, and starts as the
  // constant prediction (output layer zero), so a useless unit scores ~0 rather than the loss of a
  // random init. A cheaper fit than the reference model, since it only orders the units; its cost
  // is dominated by the [units * R, batch, m] output layer. The larger step size makes up for
  // the few epochs.
  int64_t unit_hidden_width = 8;
  int64_t unit_max_epochs = 10;
  double unit_learning_rate = 1e-2;
};

// Throws Error(kInvalidArgument) naming the field and value.
void validate(const MlpOptions& o);

// JSON with the field names above; from_json keeps the defaults of absent fields.
void to_json(nlohmann::json& j, const MlpOptions& o);
void from_json(const nlohmann::json& j, MlpOptions& o);

// Validates `o`, then returns the estimator; name() is "mlp". Inputs as in estimator.h; with
// "cross_entropy", y must be one column of integers in [0, 100000) (else kInvalidArgument).
// Too few samples for the split throw Error(kInvalidArgument) naming held_out_fraction.
std::unique_ptr<Estimator> make_mlp_estimator(const MlpOptions& o = {});

}  // namespace mipp::info
