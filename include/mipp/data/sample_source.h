// Inputs read from disk a batch at a time, for datasets too large to hold in memory (an image
// folder of ImageNet size). A Dataset carries them in place of its `inputs` tensor; subsets,
// splits and the whole-dataset transforms (fit to shape, normalisation) then change only the row
// map and the list of per-batch transforms, and a batch is read, decoded and transformed when the
// trainer or the evaluator asks for it (data::inputs_at).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::data {

// The samples of a dataset on disk. Implementations are immutable after construction, so one
// source serves every subset of its dataset and may be read from several threads at once.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int64_t size() const = 0;
  // Per-sample shape of what read() returns, e.g. [3, 224, 224].
  virtual std::vector<int64_t> sample_shape() const = 0;
  // Samples `rows` (int64 [K], each in [0, size())) as float32 [K, sample_shape...] in [0, 1].
  // Throws Error naming the file of a sample that cannot be read.
  virtual at::Tensor read(const at::Tensor& rows) const = 0;
};

// A view of a source: which of its samples, in which order, and what happens to a batch after
// reading. `shape` is the per-sample shape after every transform.
struct StreamedInputs {
  std::shared_ptr<const SampleSource> source;
  at::Tensor rows;  // int64 [N]: sample i of the dataset is row rows[i] of the source
  std::vector<std::function<at::Tensor(const at::Tensor&)>> transforms;  // applied in order to [K, ...]
  std::vector<int64_t> shape;
};

}  // namespace mipp::data
