#include "mipp/prune/feature_selection.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>

#include <cmath>

#include "mipp/graph/analyze.h"
#include "mipp/info/elimination.h"
#include "mipp/util/error.h"
#include "prune/methods/mipp/terc.h"
#include "prune/methods/mipp/unit_features.h"

namespace mipp::prune {

namespace {

// The first layer's activations: every group with a producer reading the network input.
at::Tensor first_layer_target(const graph::Network& net, const graph::Analysis& a,
                              const mipp_method::CalibrationFeatures& f) {
  std::vector<at::Tensor> parts;
  for (const graph::Group& g : a.groups) {
    for (int p : g.producers) {
      if (net.node(p).inputs.at(0) == 0) {
        parts.push_back(f.groups[static_cast<size_t>(g.id)].columns);
        break;
      }
    }
  }
  MIPP_CHECK(!parts.empty(), kNotSupported,
             "select-features: no prunable layer reads the input directly (the first layer is frozen)");
  return at::cat(parts, 1);
}

}  // namespace

FeatureSelection select_input_features(const graph::Network& net, const data::Dataset& calibration,
                                       const FeatureSelectionOptions& o, util::EventSink& sink) {
  MIPP_CHECK(o.confidence > 0 && o.confidence < 1, kInvalidArgument, "--confidence {}: must be in (0, 1)", o.confidence);
  MIPP_CHECK(!o.sparsity || (*o.sparsity >= 0 && *o.sparsity < 1), kInvalidArgument, "--sparsity {}: must be in [0, 1)",
             o.sparsity.value_or(0));
  MIPP_CHECK(o.pool >= 1 && o.pool <= 8, kInvalidArgument, "--pool {}: must be in 1..8", o.pool);
  MIPP_CHECK(calibration.size() > 0, kInvalidArgument, "select-features: no calibration samples");
  const graph::Analysis a = graph::analyze(net);
  const mipp_method::CalibrationFeatures f = mipp_method::compute_features(net, a, calibration, o.pool, 256, false, sink);

  const at::Tensor inputs = calibration.inputs.to(at::kFloat);
  const int64_t n = inputs.size(0);
  FeatureSelection s;
  int64_t channels = 1;
  if (inputs.dim() == 4) {
    channels = inputs.size(1);
    s.shape = {inputs.size(2), inputs.size(3)};
  } else {
    s.shape = {inputs.size(1)};
  }
  const int64_t pixels = inputs[0].numel() / channels;
  // Columns pixel-major: pixel p's channel values are columns [p*C, (p+1)*C).
  info::EliminationProblem problem;
  problem.x = inputs.reshape({n, channels, pixels}).transpose(1, 2).reshape({n, pixels * channels}).contiguous();
  problem.y = first_layer_target(net, a, f);
  for (int64_t p = 0; p < pixels; ++p) {
    std::vector<int64_t> cols;
    for (int64_t c = 0; c < channels; ++c) cols.push_back(p * channels + c);
    problem.units.push_back(cols);
  }
  const double lambda = -std::log1p(-o.confidence);
  auto run = [&](double threshold) {
    sink.stage_begin(fmt::format("select-features: {} pixels, loss threshold {:.3g}", pixels, threshold), pixels);
    auto e = info::make_elimination(o.estimator, o.estimator_options, problem);
    mipp_method::LayerDecision d = mipp_method::eliminate_units(*e, "input", pixels, 1, 1, lambda, threshold, sink);
    sink.stage_end();
    return d;
  };
  auto removed = [&](const mipp_method::LayerDecision& d) {
    return 1.0 - static_cast<double>(d.keep.size()) / static_cast<double>(pixels);
  };
  nlohmann::json trace = nlohmann::json::array();
  mipp_method::LayerDecision best;
  double threshold = o.loss_threshold;
  if (!o.sparsity) {
    best = run(threshold);
  } else {
    double best_gap = 2;
    mipp_method::search_loss_threshold(*o.sparsity, 0.005, [&](double t) {
      mipp_method::LayerDecision d = run(t);
      const double r = removed(d);
      trace.push_back({{"loss_threshold", t}, {"removed", r}});
      if (std::fabs(r - *o.sparsity) < best_gap) {
        best_gap = std::fabs(r - *o.sparsity);
        best = std::move(d);
        threshold = t;
      }
      return r;
    });
  }
  s.keep.assign(static_cast<size_t>(pixels), 0);
  for (int64_t p : best.keep) s.keep[static_cast<size_t>(p)] = 1;
  s.kept = static_cast<int64_t>(best.keep.size());
  s.loss_threshold = threshold;
  s.details = {{"pixels", pixels},  {"channels", channels},           {"kept", s.kept},
               {"removed", removed(best)}, {"confidence", o.confidence}, {"loss_threshold", threshold},
               {"target_columns", problem.y.size(1)}, {"search", trace}, {"layer", best}};
  return s;
}

std::string mask_to_pgm(const FeatureSelection& s) {
  const int64_t height = s.shape.size() == 2 ? s.shape[0] : 1;
  const int64_t width = s.shape.back();
  std::string out = fmt::format("P5\n{} {}\n255\n", width, height);
  for (uint8_t k : s.keep) out.push_back(static_cast<char>(k ? 255 : 0));
  return out;
}

}  // namespace mipp::prune
