// The MIPP method (Westphal, Hailes, Musolesi, arXiv 2411.00147): from the outputs back to the
// inputs, each group keeps only the units whose activations carry information about the already
// pruned next layer that the other kept units do not (terc.h), decided on activations of an
// unlabelled calibration set (unit_features.h).
//
// How much is removed. The test alone keeps almost every unit once there are thousands of
// calibration samples (any real contribution is significant), so a unit also has to raise the
// predictor's loss by a threshold when removed (a fraction of the target's variance; terc.h).
//   mode "sparsity" (default): search the threshold that reaches the budget's sparsity, the test
//                      at `confidence`; the achieved value is reported.
//   mode "confidence": the paper's mode — `confidence` and `loss_threshold` as given, per-layer
//                      widths and the sparsity emerge.
//
// Options (JSON, all optional):
//   mode               "sparsity" or "confidence" (above)
//   confidence         x in (0, 1), default 0.95: a unit stays only if its test is significant at x
//   loss_threshold     confidence mode: the loss rise a unit must cause to stay (default 0)
//   estimator          "linear" (default) or another of info::elimination_estimators()
//   estimator_options  that estimator's options; linear defaults to {"ridge": 1e-6}
//   target             what the last hidden group must explain: "logits" (default), "softmax",
//                      or "labels" (one-hot; needs labelled calibration data)
//   pool               p: a conv channel is p x p pooled values (default 1: its spatial mean)
//   batch_size         forward batch for the activations (default 256)
//   search_tolerance   sparsity mode: stop the search within this of the target (default 0.005)
//   target_components  a target wider than this is reduced to its leading principal components
//                      (default 256; 0 keeps every column)
//   order              "outputs-first" (default, the paper's) or "inputs-first"
//   next_layer         what of the next layer the units must explain: "activations" (default) or
//                      "pre-activations" (before the activation)
//   threshold_per      "unit" (default, the paper's: one loss threshold for every unit) or "cost":
//                      a layer's threshold scaled by the parameters of one of its units (MACs with
//                      a MACs budget) relative to the mean unit, so every layer stops at the same
//                      loss per parameter removed (details: threshold_scale per group)
//   target_weighting   "equal" (default) or "variance" (mipp_method.cpp)
//   visit              "information" (default, the paper's) or "greedy" (terc.h)
//   residual_target    "stage" (default) or "branch" (mipp_method.cpp)
//   widths             "test" (default: one loss threshold, the widths emerge) or "uniform": every
//                      layer removes the budget's fraction and the threshold is searched per layer,
//                      as for a --scope layer or per-group budget (details: each layer's threshold
//                      in "search")
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "mipp/prune/method.h"

namespace mipp::prune {

std::unique_ptr<Method> make_mipp_method(const nlohmann::json& options);

}  // namespace mipp::prune
