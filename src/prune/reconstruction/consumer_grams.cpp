#include "prune/reconstruction/consumer_grams.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/im2col.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/randperm.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>

#include "mipp/dist/process_group.h"
#include "mipp/graph/forward.h"
#include "mipp/util/error.h"

namespace mipp::prune::reconstruction {

namespace {

constexpr int64_t kChunkElements = int64_t{1} << 23;

// Unfolded rows of one consumer's input x [N, ...]: [rows, D] with the ones column last.
// `positions` [N, P] (int64) picks the output positions of a conv; undefined for linear layers.
at::Tensor input_rows(const graph::Node& consumer, const at::Tensor& x, const at::Tensor& positions,
                      at::ScalarType dtype) {
  at::Tensor cols;
  if (consumer.is<graph::LinearOp>()) {
    cols = x.flatten(1);
  } else {
    const auto& c = consumer.as<graph::Conv2dOp>();
    const at::Tensor patches = at::im2col(x, {c.kernel[0], c.kernel[1]}, {c.dilation[0], c.dilation[1]},
                                          {c.padding[0], c.padding[1]}, {c.stride[0], c.stride[1]});  // [N, C*k, L]
    const at::Tensor picked = patches.gather(2, positions.unsqueeze(1).expand({-1, patches.size(1), -1}));
    cols = picked.transpose(1, 2).reshape({-1, patches.size(1)});
  }
  cols = cols.to(dtype);
  return at::cat({cols, at::ones({cols.size(0), 1}, cols.options())}, 1);
}

// Output grid of a conv consumer for per-sample input shape [C, H, W].
std::pair<int64_t, int64_t> output_grid(const graph::Conv2dOp& c, const graph::Shape& in) {
  auto size = [&](int64_t n, int d) {
    return (n + 2 * c.padding[d] - c.dilation[d] * (c.kernel[d] - 1) - 1) / c.stride[d] + 1;
  };
  return {size(in[1], 0), size(in[2], 1)};
}

// Which output positions of each image become rows (see GramOptions::patches).
at::Tensor pick_positions(const graph::Conv2dOp& c, int64_t oh, int64_t ow, int64_t images, const std::string& mode,
                          at::Generator& gen) {
  const int64_t positions = oh * ow;
  if (mode == "all") return at::arange(positions).expand({images, positions}).contiguous();
  if (mode == "disjoint") {
    const int64_t step_h = std::max<int64_t>(1, (c.kernel[0] + c.stride[0] - 1) / c.stride[0]);
    const int64_t step_w = std::max<int64_t>(1, (c.kernel[1] + c.stride[1] - 1) / c.stride[1]);
    const at::Tensor rows = at::arange(0, oh, step_h), cols = at::arange(0, ow, step_w);
    const at::Tensor grid = (rows.unsqueeze(1) * ow + cols.unsqueeze(0)).flatten();
    return grid.expand({images, grid.size(0)}).contiguous();
  }
  const int64_t per_image = std::min(positions, c.kernel[0] * c.kernel[1]);
  std::vector<at::Tensor> picks;
  for (int64_t i = 0; i < images; ++i) picks.push_back(at::randperm(positions, gen).narrow(0, 0, per_image));
  return at::stack(picks);
}

}  // namespace

at::Tensor weight_matrix(const graph::Node& consumer) {
  const at::Tensor w = consumer.params.at("weight").to(at::kDouble).flatten(1);
  const auto bias = consumer.params.find("bias");
  const at::Tensor b = bias != consumer.params.end() && bias->second.defined()
                           ? bias->second.to(at::kDouble).unsqueeze(1)
                           : at::zeros({w.size(0), 1}, w.options());
  return at::cat({w, b}, 1);
}

void set_weight_matrix(graph::Node& consumer, const at::Tensor& matrix) {
  at::NoGradGuard no_grad;
  at::Tensor& w = consumer.params.at("weight");
  const int64_t d = matrix.size(1) - 1;
  w.copy_(matrix.narrow(1, 0, d).reshape(w.sizes()).to(w.scalar_type()));
  const auto bias = consumer.params.find("bias");
  if (bias != consumer.params.end() && bias->second.defined()) {
    bias->second.copy_(matrix.select(1, d).to(bias->second.scalar_type()));
  }
}

std::vector<ConsumerGrams> consumer_grams(const graph::Network& current, const graph::Network& original,
                                          const std::vector<int>& consumers, const data::Dataset& calibration,
                                          const GramOptions& options, util::EventSink& sink) {
  MIPP_CHECK(options.patches == "all" || options.patches == "disjoint" || options.patches == "random",
             kInvalidArgument, "patches '{}': use all, disjoint or random", options.patches);
  at::NoGradGuard no_grad;
  const bool two_networks = &current != &original;
  const at::ScalarType dtype = options.float64 ? at::kDouble : at::kFloat;
  // The Grams accumulate where the activations are: on the network's device.
  const c10::Device device = current.device();
  std::vector<ConsumerGrams> grams;
  graph::ForwardOptions forward_options;
  for (int id : consumers) {
    const graph::Node& node = original.node(id);
    MIPP_CHECK(node.is<graph::Conv2dOp>() || node.is<graph::LinearOp>(), kInvalidArgument,
               "{} is not a conv or linear layer", node.name);
    ConsumerGrams g;
    g.node = id;
    g.weight = weight_matrix(node);
    g.columns = g.weight.size(1);
    g.has_bias = node.params.count("bias") > 0 && node.params.at("bias").defined();
    if (node.is<graph::Conv2dOp>()) g.block = node.as<graph::Conv2dOp>().kernel[0] * node.as<graph::Conv2dOp>().kernel[1];
    g.bb = at::zeros({g.columns, g.columns}, at::TensorOptions(dtype).device(device));
    g.ba = two_networks ? at::zeros_like(g.bb) : g.bb;
    g.aa = two_networks ? at::zeros_like(g.bb) : g.bb;
    grams.push_back(g);
    forward_options.taps.push_back(node.inputs.at(0));
  }
  std::sort(forward_options.taps.begin(), forward_options.taps.end());
  forward_options.taps.erase(std::unique(forward_options.taps.begin(), forward_options.taps.end()),
                             forward_options.taps.end());

  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const int64_t n = calibration.size();
  const int64_t batches = (n + options.batch_size - 1) / options.batch_size;
  // Data-parallel: this rank's share of the samples; the Grams are sums, all-reduced at the end.
  const dist::Share share = dist::my_share(n);
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t batch_start = b * options.batch_size, batch_count = std::min(options.batch_size, n - batch_start);
    const int64_t start = std::max(batch_start, share.first);
    const int64_t count = std::min(batch_start + batch_count, share.first + share.count) - start;
    // Positions are drawn for the whole batch on every rank, so a sample gets the same ones
    // whatever the world size.
    std::vector<at::Tensor> batch_positions;
    for (ConsumerGrams& g : grams) {
      const graph::Node& node = original.node(g.node);
      if (!node.is<graph::Conv2dOp>()) {
        batch_positions.emplace_back();
        continue;
      }
      const auto [oh, ow] = output_grid(node.as<graph::Conv2dOp>(), original.node(node.inputs.at(0)).out_shape);
      batch_positions.push_back(pick_positions(node.as<graph::Conv2dOp>(), oh, ow, batch_count, options.patches, gen));
    }
    if (count <= 0) {
      if (!sink.progress(b + 1, batches)) MIPP_FAIL(kCancelled, "cancelled");
      continue;
    }
    const at::Tensor x = calibration.inputs.narrow(0, start, count);
    const graph::ForwardResult cur = graph::forward(current, x, forward_options);
    const graph::ForwardResult orig = two_networks ? graph::forward(original, x, forward_options) : cur;
    for (size_t k = 0; k < grams.size(); ++k) {
      ConsumerGrams& g = grams[k];
      const graph::Node& node = original.node(g.node);
      const int input = node.inputs.at(0);
      at::Tensor positions;
      if (batch_positions[k].defined()) {
        // Drawn on the CPU (the same positions on every device), then moved for gather().
        positions = batch_positions[k].narrow(0, start - batch_start, count).to(device);
      }
      // A few images at a time, so the unfolded rows stay near kChunkElements values.
      const int64_t rows_per_image = positions.defined() ? positions.size(1) : 1;
      const int64_t chunk = std::max<int64_t>(1, kChunkElements / (rows_per_image * g.columns));
      for (int64_t i = 0; i < count; i += chunk) {
        const int64_t m = std::min(chunk, count - i);
        const at::Tensor pos = positions.defined() ? positions.narrow(0, i, m) : positions;
        const at::Tensor rows_b = input_rows(node, cur.taps.at(input).narrow(0, i, m), pos, dtype);
        MIPP_CHECK(at::isfinite(rows_b).all().item<bool>(), kNumerical, "the input of {} contains NaN or Inf",
                   node.name);
        g.rows += rows_b.size(0);
        g.bb.addmm_(rows_b.t(), rows_b);
        if (two_networks) {
          const at::Tensor rows_a = input_rows(node, orig.taps.at(input).narrow(0, i, m), pos, dtype);
          g.ba.addmm_(rows_b.t(), rows_a);
          g.aa.addmm_(rows_a.t(), rows_a);
        }
      }
    }
    if (!sink.progress(b + 1, batches)) MIPP_FAIL(kCancelled, "cancelled");
  }
  if (dist::world_size() > 1) {
    std::vector<at::Tensor> sums;
    at::Tensor rows = at::zeros({static_cast<int64_t>(grams.size())}, at::kLong);
    for (size_t k = 0; k < grams.size(); ++k) {
      sums.push_back(grams[k].bb);
      if (two_networks) {
        sums.push_back(grams[k].ba);
        sums.push_back(grams[k].aa);
      }
      rows[static_cast<int64_t>(k)] = grams[k].rows;
    }
    sums.push_back(rows);
    dist::all_reduce_sum(sums);
    for (size_t k = 0; k < grams.size(); ++k) grams[k].rows = rows[static_cast<int64_t>(k)].item<int64_t>();
  }
  for (ConsumerGrams& g : grams) {
    g.bb = g.bb.to(at::kDouble);
    g.ba = two_networks ? g.ba.to(at::kDouble) : g.bb;
    g.aa = two_networks ? g.aa.to(at::kDouble) : g.bb;
  }
  return grams;
}

}  // namespace mipp::prune::reconstruction
