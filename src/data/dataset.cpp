#include "mipp/data/dataset.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/randperm.h>

#include <cmath>
#include <fmt/ranges.h>

#include "mipp/util/error.h"
#include "mipp/util/memory.h"
#include "mipp/util/seed.h"

namespace mipp::data {

namespace {

// A copy of `d` with other tensors: name and class count carry over.
Dataset with_tensors(const Dataset& d, at::Tensor inputs, at::Tensor labels) {
  Dataset r;
  r.name = d.name;
  r.num_classes = d.num_classes;
  r.inputs = std::move(inputs);
  r.labels = std::move(labels);
  return r;
}

// A permutation of [0, n) decided by `seed` and the stage name alone.
at::Tensor seeded_permutation(int64_t n, uint64_t seed, const char* stage) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(seed, stage));
  return at::randperm(n, gen, at::kLong);
}

// Reads samples `indices` of a streamed dataset: their source rows, then every transform in turn.
at::Tensor read_streamed(const StreamedInputs& s, const at::Tensor& indices) {
  at::Tensor x = s.source->read(s.rows.index_select(0, indices.cpu()));
  for (const auto& transform : s.transforms) x = transform(x);
  return x;
}

}  // namespace

int64_t Dataset::size() const {
  if (inputs.defined()) return inputs.size(0);
  return streamed ? streamed->rows.numel() : 0;
}

std::vector<int64_t> Dataset::sample_shape() const {
  if (streamed) return streamed->shape;
  if (!inputs.defined()) return {};
  return inputs.sizes().slice(1).vec();
}

at::Tensor inputs_at(const Dataset& d, const at::Tensor& indices) {
  if (d.streamed) return read_streamed(*d.streamed, indices);
  return d.inputs.index_select(0, indices.to(d.inputs.device()));
}

at::Tensor inputs_range(const Dataset& d, int64_t start, int64_t n) {
  if (d.streamed) return read_streamed(*d.streamed, at::arange(start, start + n, at::kLong));
  return d.inputs.narrow(0, start, n);
}

Dataset in_memory(const Dataset& d) {
  if (!d.streamed) return d;
  std::vector<int64_t> shape = d.sample_shape();
  shape.insert(shape.begin(), d.size());
  int64_t elements = 1;
  for (int64_t s : shape) elements = util::saturating_product({elements, s});
  util::check_memory(util::saturating_product({elements, static_cast<int64_t>(sizeof(float))}),
                     fmt::format("dataset {} ({} samples) read into memory", d.name, d.size()),
                     "use a smaller subset (--calib-samples, --limit)");
  at::Tensor x = at::empty(shape, at::kFloat);
  constexpr int64_t kChunk = 512;  // samples decoded per read: bounds the transforms' temporaries
  for (int64_t start = 0; start < d.size(); start += kChunk) {
    const int64_t n = std::min(kChunk, d.size() - start);
    x.narrow(0, start, n).copy_(inputs_range(d, start, n));
  }
  return with_tensors(d, std::move(x), d.labels);
}

Dataset subset(const Dataset& d, const at::Tensor& indices) {
  MIPP_CHECK(d.inputs.defined() || d.streamed, kInvalidArgument, "subset of dataset {}: it has no inputs", d.name);
  MIPP_CHECK(indices.defined() && indices.dim() == 1 && indices.scalar_type() == at::kLong, kInvalidArgument,
             "subset of dataset {}: indices must be a 1-D int64 tensor", d.name);
  if (indices.numel() > 0) {
    const int64_t lo = indices.min().item<int64_t>(), hi = indices.max().item<int64_t>();
    MIPP_CHECK(lo >= 0 && hi < d.size(), kInvalidArgument, "subset of dataset {}: index {} is out of range [0, {})",
               d.name, lo < 0 ? lo : hi, d.size());
  }
  at::Tensor labels;
  if (d.labels.defined()) labels = d.labels.index_select(0, indices.to(d.labels.device()));
  if (d.streamed) {
    auto view = std::make_shared<StreamedInputs>(*d.streamed);
    view->rows = d.streamed->rows.index_select(0, indices.cpu());
    Dataset r = with_tensors(d, at::Tensor(), std::move(labels));
    r.streamed = std::move(view);
    return r;
  }
  return with_tensors(d, d.inputs.index_select(0, indices.to(d.inputs.device())), std::move(labels));
}

Dataset head(const Dataset& d, int64_t n) {
  MIPP_CHECK(n >= 0, kInvalidArgument, "head of dataset {}: sample count {} must not be negative", d.name, n);
  if (n >= d.size()) return d;
  if (d.streamed) return subset(d, at::arange(n, at::kLong));
  return with_tensors(d, d.inputs.narrow(0, 0, n), d.labels.defined() ? d.labels.narrow(0, 0, n) : at::Tensor());
}

Split split(const Dataset& d, double fraction, uint64_t seed) {
  MIPP_CHECK(fraction >= 0 && fraction < 1, kInvalidArgument, "split of dataset {}: fraction {} must be in [0, 1)",
             d.name, fraction);
  const int64_t n = d.size();
  const int64_t k = std::llround(fraction * static_cast<double>(n));
  const at::Tensor perm = seeded_permutation(n, seed, "split");
  // Sorted indices keep both parts in the original order: the split decides membership only.
  Split s;
  s.first = subset(d, std::get<0>(perm.narrow(0, k, n - k).sort()));
  s.second = subset(d, std::get<0>(perm.narrow(0, 0, k).sort()));
  return s;
}

Dataset calibration_subset(const Dataset& d, int64_t n, uint64_t seed, bool with_labels) {
  MIPP_CHECK(n > 0, kInvalidArgument, "calibration subset of dataset {}: sample count {} must be positive", d.name, n);
  const int64_t k = std::min(n, d.size());
  Dataset c = in_memory(subset(d, seeded_permutation(d.size(), seed, "calibration").narrow(0, 0, k)));
  if (!with_labels) c.labels = at::Tensor();
  return c;
}

void validate(const Dataset& d, const std::string& what) {
  MIPP_CHECK(d.inputs.defined() || d.streamed, kInvalidArgument, "{}: dataset {} has no inputs", what, d.name);
  MIPP_CHECK(d.num_classes > 0, kInvalidArgument, "{}: dataset {} has {} classes, must be positive", what, d.name,
             d.num_classes);
  if (d.inputs.defined()) {
    const at::Tensor& x = d.inputs;
    MIPP_CHECK(x.scalar_type() == at::kFloat && x.dim() >= 2, kInvalidArgument,
               "{}: dataset {} inputs must be float32 [N, ...] with at least 2 dimensions, got {} {}", what, d.name,
               std::string(c10::toString(x.scalar_type())), fmt::format("[{}]", fmt::join(x.sizes(), ", ")));
    if (x.numel() > 0) {
      MIPP_CHECK(at::isfinite(x).all().item<bool>(), kNumerical, "{}: dataset {} inputs contain NaN or infinity", what,
                 d.name);
    }
  } else {
    MIPP_CHECK(!d.streamed->shape.empty(), kInvalidArgument, "{}: dataset {} has no sample shape", what, d.name);
  }
  // Label-free calibration subsets carry no labels on purpose.
  if (!d.labels.defined()) return;
  const at::Tensor& y = d.labels;
  MIPP_CHECK(y.scalar_type() == at::kLong && y.dim() == 1, kInvalidArgument,
             "{}: dataset {} labels must be int64 [N], got {} with {} dimensions", what, d.name,
             std::string(c10::toString(y.scalar_type())), y.dim());
  MIPP_CHECK(y.size(0) == d.size(), kInvalidArgument, "{}: dataset {} has {} inputs but {} labels", what, d.name,
             d.size(), y.size(0));
  if (y.numel() == 0) return;
  const int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
  MIPP_CHECK(lo >= 0 && hi < d.num_classes, kCorruption, "{}: dataset {} has label {}, outside [0, {})", what, d.name,
             lo < 0 ? lo : hi, d.num_classes);
}

}  // namespace mipp::data
