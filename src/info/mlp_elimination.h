// The mlp estimator's Elimination (see include/mipp/info/elimination.h and mlp_proxy.h): MIPP's
// own procedure (Westphal et al., §4.2-4.3 and App. D).
//
//   construction      R reference MLPs g_r (all active units -> y), each fully trained with early
//                     stopping on its repeat's split.
//   test(u)           a copy of each g_r with the columns of u and of every removed unit set to 0
//                     at its input (inputs are standardised, so 0 is the column mean), refitted
//                     warm for at most `refit_epochs` epochs with early stopping; its test loss
//                     loss_r(u); Delta_r = loss_r(u) - loss_control_r. UnitTest: information = mean
//                     Delta, statistic = t, log_p_value = log P(T_{R-1} >= t) — the one-sided
//                     paired t-test of H1: masking u raises the loss (student_t.h).
//   control           loss_control_r is g_r refitted in the same way and with the same batches but
//                     without masking u, once per state (R more refits after each removal). The
//                     paper compares with g_r's own loss; but a warm refit keeps training, and when
//                     early stopping or max_epochs left g_r short of convergence, every refit beats
//                     it, so every Delta is negative and every unit would go (at LeNet-5's fc1 size
//                     a unit scored t = -21 that way). Against the control, only the mask differs.
//   remove(u)         u stays masked; the refitted models of u's last test become the new g_r (the
//                     paper: the network continues from the pruned state). Removing a unit not
//                     tested in the current state refits first.
//   unit_information  per unit and repeat, a one-hidden-layer MLP of `unit_hidden_width` from the
//                     unit's columns alone, started as the constant prediction, at most
//                     `unit_max_epochs` epochs at `unit_learning_rate`: loss_const_r -
//                     loss_unit_r, averaged over repeats. All units train together as one stack
//                     (mlp_stack.h), in chunks that bound memory.
//
// Units of `information`: loss units — for mse the mean squared error of the standardised targets
// (mean over targets), for cross_entropy nats. The test is invariant to that scale.
// The problem's seed drives everything (MlpOptions::seed is not used here): splits, inits and batch
// orders come from derive_seed(problem.seed, ...), and a refit's batch order depends only on the
// number of removals so far, so repeating test(u) in the same state gives the same result. fits() counts MLP fits and refits (controls included), each repeat and unit model once.
#pragma once

#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "mipp/info/elimination.h"

namespace mipp::info {

// options: MlpOptions as JSON (see mlp_proxy.h).
std::unique_ptr<Elimination> make_mlp_elimination(const nlohmann::json& options, const EliminationProblem& problem);

}  // namespace mipp::info
