// Elimination: the estimator-side half of MIPP's per-layer procedure (Westphal et al., §4.2-4.3,
// "TERC with MI ordering"). Given upstream activations x [n, d] grouped into units (a unit is one
// or more columns: a neuron, a pooled conv channel, a residual channel read by several layers) and
// the already-pruned downstream activations y [n, m], it answers three questions:
//   unit_information()  I(unit; y) of each unit alone — MIPP visits units least informative first;
//   test(u)             does unit u add information about y given the units still active, i.e.
//                       is I(u; y | active \ u) > 0 ? (a one-sided test, p-value in log space);
//   remove(u)           drop u for good; later tests condition on fewer units.
// MIPP removes u when the test is not significant at its confidence level. Estimators make this
// cheap in their own way: `linear` by an O(d^2) downdate of one ridge fit, `mlp` by warm-started
// refits of the predictor with R repeats (the paper's procedure).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

namespace mipp::info {

struct UnitTest {
  double information = 0;  // estimate of I(u; y | active \ u): nats for linear, loss units for mlp
  // The loss-difference proxy of the MIPP paper (Eq. 1): how much the predictor's loss per target
  // rises when u is removed, with targets standardised so that it is a fraction of the target's
  // variance (MSE) — comparable across layers, unlike nats, which grow without bound where the
  // target is an exact function of the units (logits are linear in the last hidden layer).
  double loss_increase = 0;
  double statistic = 0;    // the test statistic (chi-square for linear, Student t for mlp)
  // Natural log of the one-sided p-value of H0: I(u; y | active \ u) = 0. Logs, because with
  // thousands of samples the likelihood-ratio p-values of useful units lie far below 1e-308, and
  // `--sparsity` mode searches confidence levels such as 1 - 1e-500.
  double log_p_value = 0;
};

class Elimination {
 public:
  virtual ~Elimination() = default;
  virtual std::string_view estimator() const = 0;
  // Per unit, I(unit; y) with no other unit, in the units of UnitTest::information.
  virtual std::vector<double> unit_information() = 0;
  // REQUIRES: unit is active (not removed). Does not change the state.
  virtual UnitTest test(int64_t unit) = 0;
  // REQUIRES: unit is active and at least one other unit is.
  virtual void remove(int64_t unit) = 0;
  // Predictor fits made so far (closed-form solves count as fits), for reports.
  virtual int64_t fits() const = 0;
};

// The problem: x [n, d] and y [n, m] (float32/float64, finite), units[u] = the columns of x that
// make unit u (disjoint, covering any subset of x's columns). seed drives any randomness.
struct EliminationProblem {
  at::Tensor x;
  at::Tensor y;
  std::vector<std::vector<int64_t>> units;
  uint64_t seed = 0;
  // Optional [m] non-negative weights of y's columns in UnitTest::loss_increase (undefined: every
  // column weighs the same). Weighting by the columns' variances measures the loss in y's natural
  // scale, the squared error a least-squares refit of y minimises. The test (information and
  // p-value) does not depend on them. Only the linear estimator takes weights.
  at::Tensor target_weights;
};

// Estimators that support elimination, for help texts: "linear", "mlp", and by refits (each test a
// full estimate; see src/info/estimator_elimination.h) "gaussian", "ksg".
const std::vector<std::string>& elimination_estimators();

// The fewest samples `estimator` needs for a problem of `columns` unit columns and `targets`
// target columns (linear and gaussian: a full-rank regression or covariance of the targets and all
// columns, columns + targets + 2; mlp and ksg: none beyond their own checks, 0), so a caller can tell "too wide for this calibration
// set" from other errors before building. Throws Error(kNotFound) for an unknown estimator.
int64_t elimination_min_samples(const std::string& estimator, int64_t columns, int64_t targets);

// Builds the elimination for `estimator` with its JSON options (the estimator's option struct).
// Throws Error(kNotFound) for an unknown estimator (listing the valid ones), Error(kInvalidArgument)
// for bad options or shapes, Error(kNumerical) for NaN/Inf.
std::unique_ptr<Elimination> make_elimination(const std::string& estimator, const nlohmann::json& options,
                                              const EliminationProblem& problem);

}  // namespace mipp::info
