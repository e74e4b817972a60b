#include "mipp/pipeline/prepare_data.h"

#include <fmt/ranges.h>

#include "mipp/data/readers.h"
#include "mipp/util/error.h"
#include "mipp/util/memory.h"

namespace mipp::pipeline {

namespace {

// The [C, H, W] an image folder's files decode to: H, W from --image-size or the model's input, C
// the model's channels (for a flat input [F]: grey when F = H * W, else RGB).
std::vector<int64_t> image_shape(const DataOptions& options, const graph::Shape& model_input_shape) {
  const std::vector<int64_t>& size = options.image_size;
  MIPP_CHECK(size.empty() || (size.size() == 2 && size[0] > 0 && size[1] > 0), kInvalidArgument,
             "--image-size {}: give H,W (two positive numbers)", fmt::join(size, ","));
  if (model_input_shape.size() == 3) {
    const int64_t channels = model_input_shape[0];
    MIPP_CHECK(channels == 1 || channels == 3, kInvalidArgument,
               "dataset image-folder: the model's input has {} channels; images decode to 1 (grey) or 3 (RGB)", channels);
    if (size.empty()) return model_input_shape;
    return {channels, size[0], size[1]};
  }
  MIPP_CHECK(!size.empty(), kInvalidArgument,
             "dataset image-folder: the model's input [{}] is not an image; give --image-size H,W",
             fmt::join(model_input_shape, ", "));
  const int64_t features = model_input_shape.empty() ? 0 : model_input_shape[0];
  return {features == size[0] * size[1] ? 1 : 3, size[0], size[1]};
}

}  // namespace

PreparedData prepare_data(const DataOptions& options, const graph::Shape& model_input_shape,
                          const data::Normalization& normalization) {
  MIPP_CHECK(options.val_split >= 0 && options.val_split < 1, kInvalidArgument, "--val-split {}: must be in [0, 1)",
             options.val_split);
  MIPP_CHECK(options.train_limit >= 0 && options.test_limit >= 0, kInvalidArgument, "limits must be >= 0");
  MIPP_CHECK(options.image_size.empty() || options.dataset == "image-folder", kInvalidArgument,
             "--image-size: only for --dataset image-folder (dataset {} has its own size)", options.dataset);
  const std::vector<int64_t> shape =
      options.dataset == "image-folder" ? image_shape(options, model_input_shape) : std::vector<int64_t>{};
  data::DatasetSplits splits = data::load_dataset(options.dataset, options.dir, !options.test_only, shape);
  if (options.train_limit > 0 && splits.train.size() > 0) splits.train = data::head(splits.train, options.train_limit);
  if (options.test_limit > 0) splits.test = data::head(splits.test, options.test_limit);

  // Fitting copies every sample to the model's input shape, and normalising copies it once more
  // (per batch only for streamed data).
  const int64_t samples = (splits.train.streamed ? 0 : splits.train.size()) + (splits.test.streamed ? 0 : splits.test.size());
  util::check_memory(util::saturating_product({samples, graph::checked_elements(model_input_shape, "model input"), 2,
                                               static_cast<int64_t>(sizeof(float))}),
                     fmt::format("dataset {} ({} samples) fitted to the model's input [{}]", options.dataset, samples,
                                 fmt::join(model_input_shape, ", ")),
                     "use --limit, or a model made for this data's input shape");
  PreparedData out;
  // Fit first (zero padding on [0, 1] images is black), then normalise.
  data::Dataset train = options.test_only ? splits.train : data::fit_to_shape(splits.train, model_input_shape);
  data::Dataset test = data::fit_to_shape(splits.test, model_input_shape);
  out.normalization = normalization;
  if (out.normalization.empty()) out.normalization = data::standard_normalization(options.dataset);
  if (out.normalization.empty()) out.normalization = data::compute_normalization(options.test_only ? test : train);
  if (!options.test_only) train = data::normalize(train, out.normalization);
  out.test = data::normalize(test, out.normalization);
  if (options.val_split > 0) {
    data::Split s = data::split(train, options.val_split, options.seed);
    out.train = std::move(s.first);
    out.val = std::move(s.second);
  } else {
    out.train = std::move(train);
  }
  return out;
}

}  // namespace mipp::pipeline
