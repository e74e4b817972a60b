#include "mipp/prune/reweight.h"

#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "prune/reconstruction/sequential.h"

namespace mipp::prune {

Reweighted reweight(const graph::Network& net, const graph::Analysis& analysis, const graph::KeepSets& keep,
                    const data::Dataset& calibration, const ReweightOptions& options, uint64_t seed,
                    util::EventSink& sink) {
  graph::validate(analysis, keep);
  MIPP_CHECK(options.batch_size >= 1, kInvalidArgument, "reweight batch size {} must be at least 1",
             options.batch_size);
  std::vector<int64_t> counts;
  for (const auto& k : keep) counts.push_back(static_cast<int64_t>(k.size()));
  reconstruction::SequentialOptions sequential;
  sequential.variant = options.variant;
  sequential.update = reconstruction::WeightUpdate::kLeastSquares;
  sequential.grams = {options.patches, options.float64, options.batch_size, util::derive_seed(seed, "reweight")};
  auto given = [&](const graph::Group& g, const std::vector<reconstruction::ConsumerView>&, int64_t) {
    return keep[static_cast<size_t>(g.id)];
  };
  reconstruction::SequentialResult r =
      reconstruction::prune_sequentially(net, analysis, calibration, counts, given, sequential, sink);
  return {std::move(r.network), std::move(r.layers)};
}

}  // namespace mipp::prune
