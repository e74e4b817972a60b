// MIPP's backward elimination driven by any Estimator (gaussian, ksg) by refits: every test is a
// fresh estimate and test of I(u; y | active others) with the estimator's own test (gaussian: the
// likelihood ratio; ksg: the local permutation null), so a pass over d units costs d full
// estimates — where the linear estimator downdates one fit (linear_elimination.h).
//
//   unit_information  I(u; y) per unit, the estimator's MI.
//   test(u)           information = I(u; y | other active units) (nats); log_p_value = ln of the
//                     test's p-value (p = 0 is reported as ln of the smallest double, -744.4);
//                     statistic = the test's; loss_increase = max(0, information): these
//                     estimators have no loss, so MIPP's loss threshold is in nats with them.
//   remove(u)         drops u's columns from the conditioning set.
//
// Constant columns (dead units) are dropped first, as the linear estimator does: a unit with no
// columns left carries no information and is never significant. The estimator's own checks apply
// to every estimate (gaussian: more samples than columns; a singular covariance of duplicated
// units is an error unless its options regularise it, e.g. "shrinkage": "ledoit-wolf").
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/info/elimination.h"

namespace mipp::info {

// `estimator`: a name of the estimator registry ("gaussian", "ksg"); options: its JSON options.
// The problem's seed replaces a "seed" option where the estimator has one.
std::unique_ptr<Elimination> make_estimator_elimination(const std::string& estimator, const nlohmann::json& options,
                                                        const EliminationProblem& problem);

}  // namespace mipp::info
