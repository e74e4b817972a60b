#include "mipp/data/transforms.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/TensorIndexing.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/std_mean.h>
#include <ATen/ops/sum.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/where.h>

#include <functional>
#include <numeric>
#include <fmt/ranges.h>

#include "mipp/util/error.h"

namespace mipp::data {

namespace {

std::string shape_str(const std::vector<int64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

int64_t product(const std::vector<int64_t>& s) {
  return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<int64_t>());
}

// `values` [C] shaped to broadcast along dimension 1 of a `dim`-dimensional batch: [1, C, 1, ...].
at::Tensor per_channel(const std::vector<double>& values, int64_t dim, const at::Tensor& like) {
  std::vector<int64_t> shape(static_cast<size_t>(dim), 1);
  shape[1] = static_cast<int64_t>(values.size());
  return at::tensor(values, at::kDouble).to(like.options()).reshape(shape);
}

// `d` with its inputs passed through `f`, which changes the per-sample shape to `shape`: applied at
// once to inputs in memory, appended to the per-batch transforms of a streamed dataset.
Dataset with_inputs_through(const Dataset& d, std::function<at::Tensor(const at::Tensor&)> f,
                            std::vector<int64_t> shape) {
  Dataset r = d;
  if (!d.streamed) {
    r.inputs = f(d.inputs);
    return r;
  }
  auto view = std::make_shared<StreamedInputs>(*d.streamed);
  view->transforms.push_back(std::move(f));
  view->shape = std::move(shape);
  r.streamed = std::move(view);
  return r;
}

// Per-channel mean and population std of a streamed dataset, from sums in float64 over batches of
// at most kSamples samples spread evenly over it: a pass over a large folder would cost an epoch.
Normalization streamed_normalization(const Dataset& d) {
  constexpr int64_t kBatch = 512, kSamples = 8192;
  const int64_t count = std::min(d.size(), kSamples);
  const at::Tensor picked = (at::arange(count, at::kLong) * d.size()).div(count, "floor");
  at::Tensor sum, sum_sq;
  int64_t per_channel_count = 0;
  for (int64_t start = 0; start < count; start += kBatch) {
    const at::Tensor x = inputs_at(d, picked.narrow(0, start, std::min(kBatch, count - start))).to(at::kDouble);
    std::vector<int64_t> dims = {0};
    for (int64_t i = 2; i < x.dim(); ++i) dims.push_back(i);
    const at::Tensor s = at::sum(x, dims), s2 = at::sum(x * x, dims);
    sum = sum.defined() ? sum + s : s;
    sum_sq = sum_sq.defined() ? sum_sq + s2 : s2;
    per_channel_count += x.numel() / x.size(1);
  }
  const at::Tensor mean = (sum / per_channel_count).contiguous();
  const at::Tensor std = (sum_sq / per_channel_count - mean * mean).clamp_min(0).sqrt().contiguous();
  Normalization n;
  n.mean.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
  n.std.assign(std.data_ptr<double>(), std.data_ptr<double>() + std.numel());
  return n;
}

}  // namespace

Normalization standard_normalization(const std::string& dataset_name) {
  // The values torchvision's reference training scripts and most papers use.
  if (dataset_name == "fashion-mnist") return {{0.2860}, {0.3530}};
  if (dataset_name == "mnist") return {{0.1307}, {0.3081}};
  if (dataset_name == "cifar10") return {{0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}};
  if (dataset_name == "cifar100") return {{0.5071, 0.4865, 0.4409}, {0.2673, 0.2564, 0.2762}};
  return {};
}

Normalization compute_normalization(const Dataset& d) {
  MIPP_CHECK(d.size() > 0 && d.sample_shape().size() >= 1, kInvalidArgument,
             "compute_normalization: dataset {} has no samples", d.name);
  if (d.streamed) return streamed_normalization(d);
  const at::Tensor& x = d.inputs;
  MIPP_CHECK(x.defined() && x.dim() >= 2 && x.size(0) > 0, kInvalidArgument,
             "compute_normalization: dataset {} has no samples", d.name);
  std::vector<int64_t> dims = {0};
  for (int64_t i = 2; i < x.dim(); ++i) dims.push_back(i);
  // Population statistics (unbiased = false). LibTorch's CPU reduction accumulates float input in
  // double (Welford), so no float64 copy of the whole dataset is needed.
  const auto [std, mean] = at::std_mean(x, dims, /*unbiased=*/false);
  const at::Tensor m = mean.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor s = std.to(at::kCPU, at::kDouble).contiguous();
  Normalization n;
  n.mean.assign(m.data_ptr<double>(), m.data_ptr<double>() + m.numel());
  n.std.assign(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  return n;
}

Dataset normalize(const Dataset& d, const Normalization& n) {
  if (n.empty()) return d;
  const std::vector<int64_t> shape = d.sample_shape();
  MIPP_CHECK(!shape.empty(), kInvalidArgument, "normalize: dataset {} has no [N, C, ...] inputs", d.name);
  const int64_t channels = shape[0];
  const auto entries = static_cast<int64_t>(n.mean.size());
  MIPP_CHECK(n.mean.size() == n.std.size() && (entries == channels || entries == 1), kInvalidArgument,
             "normalize: normalization has {} means and {} stds; dataset {} has {} channels (or features)",
             n.mean.size(), n.std.size(), d.name, channels);
  for (size_t c = 0; c < n.std.size(); ++c) {
    MIPP_CHECK(n.std[c] > 0, kInvalidArgument, "normalize: std[{}] = {} must be positive", c, n.std[c]);
  }
  auto normalized = [n](const at::Tensor& x) {
    return (x - per_channel(n.mean, x.dim(), x)) / per_channel(n.std, x.dim(), x);
  };
  return with_inputs_through(d, normalized, shape);
}

Dataset fit_to_shape(const Dataset& d, const std::vector<int64_t>& sample_shape) {
  const std::vector<int64_t> from = d.sample_shape();
  const std::vector<int64_t>& to = sample_shape;
  if (from == to) return d;
  // [C, H, W] -> [C*H*W]: what a flatten layer would do, in the same (row-major) order.
  if (from.size() == 3 && to.size() == 1 && product(from) == to[0]) {
    return with_inputs_through(d, [features = to[0]](const at::Tensor& x) { return x.reshape({x.size(0), features}); },
                               to);
  }
  // Pad first, then replicate: both change only the cheap dimensions of a [C, H, W] batch.
  //   [1, 28, 28] -> [3, 32, 32]: pad 2 on every side to [1, 32, 32], then copy the channel 3 times.
  const bool fits =
      from.size() == 3 && to.size() == 3 && (from[0] == to[0] || from[0] == 1) && from[1] <= to[1] && from[2] <= to[2];
  MIPP_CHECK(fits, kInvalidArgument, "dataset {} has samples {}; the model expects {}", d.name, shape_str(from),
             shape_str(to));
  auto fitted = [from, to](at::Tensor x) {
    const int64_t pad_h = to[1] - from[1], pad_w = to[2] - from[2];
    if (pad_h > 0 || pad_w > 0) {
      // An odd amount puts the extra row (column) at the bottom (right).
      x = at::constant_pad_nd(x, {pad_w / 2, pad_w - pad_w / 2, pad_h / 2, pad_h - pad_h / 2}, 0.0);
    }
    if (from[0] != to[0]) x = x.expand({x.size(0), to[0], to[1], to[2]}).contiguous();
    return x;
  };
  return with_inputs_through(d, fitted, to);
}

at::Tensor random_crop_flip(const at::Tensor& batch, at::Generator& gen, int64_t padding) {
  MIPP_CHECK(batch.defined() && batch.dim() == 4, kInvalidArgument,
             "random_crop_flip: batch must be [N, C, H, W], got {} dimensions", batch.defined() ? batch.dim() : 0);
  MIPP_CHECK(padding >= 0, kInvalidArgument, "random_crop_flip: padding {} must not be negative", padding);
  const int64_t n = batch.size(0), c = batch.size(1), h = batch.size(2), w = batch.size(3);
  // Draws on the CPU from `gen`, so a batch gets the same crops on any device.
  const auto cpu_long = at::TensorOptions().dtype(at::kLong);
  const at::Tensor top = at::randint(0, 2 * padding + 1, {n}, gen, cpu_long);
  const at::Tensor left = at::randint(0, 2 * padding + 1, {n}, gen, cpu_long);
  const at::Tensor flip = at::randint(0, 2, {n}, gen, cpu_long).to(at::kBool);
  // One gather does every crop and flip: output[i, :, y, x] = padded[i, :, rows[i, y], cols[i, x]], with
  //   rows [N, H] = top + (0..H-1), cols [N, W] = left + (0..W-1), or reversed for flipped samples.
  const at::Tensor ys = at::arange(h, cpu_long), xs = at::arange(w, cpu_long);
  const at::Tensor rows = top.unsqueeze(1) + ys;
  const at::Tensor cols = left.unsqueeze(1) + at::where(flip.unsqueeze(1), xs.flip(0), xs);
  const auto device = batch.device();
  const at::Tensor padded = at::constant_pad_nd(batch, {padding, padding, padding, padding}, 0.0);
  using at::indexing::TensorIndex;
  return padded.index({TensorIndex(at::arange(n, cpu_long).view({n, 1, 1, 1}).to(device)),
                       TensorIndex(at::arange(c, cpu_long).view({1, c, 1, 1}).to(device)),
                       TensorIndex(rows.view({n, 1, h, 1}).to(device)),
                       TensorIndex(cols.view({n, 1, 1, w}).to(device))});
}

}  // namespace mipp::data
