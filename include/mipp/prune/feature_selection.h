// Input feature selection with MIPP's test (Westphal et al., appendix: "the same test applied to
// the input pixels against the pruned first layer"): which input pixels (or features) carry
// information about the first layer's activations that the other kept pixels do not.
//
// A pixel of a [C, H, W] input is one unit with C values; a feature of an [F] input is one unit.
// The target is the first layer's units as the next layer reads them (after batch-norm and
// activation, pooled to pool x pool per channel). Pixels are visited least informative first and
// removed unless their test is significant at `confidence` and removing them raises the loss by at
// least the threshold (see src/prune/methods/mipp/terc.h); with `sparsity` set, the threshold is
// searched so that that fraction of the pixels goes. Constant pixels (an image's empty border)
// carry nothing and always go.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/data/dataset.h"
#include "mipp/graph/network.h"
#include "mipp/util/events.h"

namespace mipp::prune {

struct FeatureSelectionOptions {
  std::optional<double> sparsity;  // fraction of the pixels to remove; unset: the test decides
  double confidence = 0.95;
  double loss_threshold = 0;       // without sparsity
  std::string estimator = "linear";
  nlohmann::json estimator_options = {{"ridge", 1e-6}};
  int64_t pool = 4;                // first-layer maps pooled to pool x pool per channel
};

struct FeatureSelection {
  std::vector<int64_t> shape;      // [H, W] of the mask, or [F]
  std::vector<uint8_t> keep;       // per pixel (row-major), 1 = kept
  int64_t kept = 0;
  double loss_threshold = 0;       // the threshold used (searched in sparsity mode)
  nlohmann::json details;          // every pixel's test, the search, timings
};

// Throws Error(kInvalidArgument) for bad options or too few samples for the number of pixels,
// Error(kNotSupported) when the first layer cannot be pruned (no group reads the input).
FeatureSelection select_input_features(const graph::Network& net, const data::Dataset& calibration,
                                       const FeatureSelectionOptions& options, util::EventSink& sink);

// The mask as a binary PGM image (P5; 255 = kept, 0 = removed); a [F] mask is one row.
std::string mask_to_pgm(const FeatureSelection& s);

}  // namespace mipp::prune
