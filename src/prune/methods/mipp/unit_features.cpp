#include "prune/methods/mipp/unit_features.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/adaptive_avg_pool1d.h>
#include <ATen/ops/adaptive_avg_pool2d.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/isfinite.h>

#include <cmath>
#include <set>
#include <tuple>

#include "mipp/dist/process_group.h"
#include "mipp/graph/forward.h"
#include "mipp/util/error.h"

namespace mipp::prune::mipp_method {

namespace {

// One tensor a group's consumers read: node `node`'s output, channels [offset, offset + units*span).
struct Source {
  int node = 0;
  int64_t offset = 0;
  int64_t span = 1;
};

// The distinct tensors group g's consumers read (several consumers may read the same one).
std::vector<Source> sources_of(const graph::Network& net, const graph::Group& g) {
  std::vector<Source> out;
  std::set<std::tuple<int, int64_t, int64_t>> seen;
  for (const graph::ChannelSlice& c : g.consumers) {
    const int input = net.node(c.node).inputs.at(0);
    if (seen.insert({input, c.offset, c.span}).second) out.push_back({input, c.offset, c.span});
  }
  if (out.empty()) out.push_back({g.producers.back(), 0, 1});  // read by nothing prunable: its own output
  return out;
}

// Where `producer` of group g leaves its units before any activation or sum: its output, or the
// batch-norm reading it.
int after_batch_norm(const graph::Network& net, const graph::Group& g, int producer) {
  for (const graph::ChannelSlice& c : g.per_channel) {
    const graph::Node& node = net.node(c.node);
    if (node.is<graph::BatchNormOp>() && node.inputs.at(0) == producer) return c.node;
  }
  return producer;
}

// Where group g's pre-activations are; -1 for a residual group (its units are a sum).
int pre_activation_node(const graph::Network& net, const graph::Group& g) {
  return g.is_residual() ? -1 : after_batch_norm(net, g, g.producers.front());
}

// [B, units * p^2] pooled values of units [0, units) of one source in a batch's tap `t`.
at::Tensor pooled(const at::Tensor& t, const Source& s, int64_t units, int64_t pool) {
  const int64_t batch = t.size(0);
  const at::Tensor slice = t.narrow(1, s.offset, units * s.span);
  if (slice.dim() == 4) {  // [B, units, H, W] maps
    if (pool == 1) return slice.mean({2, 3});
    return at::adaptive_avg_pool2d(slice, {pool, pool}).reshape({batch, units * pool * pool});
  }
  // [B, units * span] features: a flattened map per unit, or one feature per unit (span 1).
  const at::Tensor per_unit = slice.reshape({batch, units, s.span});
  if (s.span == 1) return per_unit.reshape({batch, units});
  if (pool == 1) return per_unit.mean(2);
  const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(s.span))));
  if (side * side == s.span) {
    return at::adaptive_avg_pool2d(per_unit.reshape({batch, units, side, side}), {pool, pool})
        .reshape({batch, units * pool * pool});
  }
  return at::adaptive_avg_pool1d(per_unit, pool * pool).reshape({batch, units * pool * pool});
}

}  // namespace

CalibrationFeatures compute_features(const graph::Network& net, const graph::Analysis& analysis,
                                     const data::Dataset& calibration, int64_t pool, int64_t batch_size,
                                     bool pre_activations, util::EventSink& sink, bool residual_branches) {
  std::vector<std::vector<Source>> sources;
  std::vector<int> pre_nodes;
  std::vector<std::vector<int>> branch_nodes(analysis.groups.size());  // per residual group and producer
  graph::ForwardOptions fo;
  std::set<int> taps;
  for (const graph::Group& g : analysis.groups) {
    sources.push_back(sources_of(net, g));
    for (const Source& s : sources.back()) taps.insert(s.node);
    pre_nodes.push_back(pre_activations ? pre_activation_node(net, g) : -1);
    if (pre_nodes.back() >= 0) taps.insert(pre_nodes.back());
    if (residual_branches && g.is_residual()) {
      for (int producer : g.producers) branch_nodes[static_cast<size_t>(g.id)].push_back(after_batch_norm(net, g, producer));
      taps.insert(branch_nodes[static_cast<size_t>(g.id)].begin(), branch_nodes[static_cast<size_t>(g.id)].end());
    }
  }
  fo.taps.assign(taps.begin(), taps.end());

  std::vector<std::vector<at::Tensor>> parts(analysis.groups.size());
  std::vector<std::vector<at::Tensor>> pre_parts(analysis.groups.size());
  std::vector<std::vector<std::vector<at::Tensor>>> branch_parts(analysis.groups.size());  // group, producer, batch
  for (size_t g = 0; g < branch_parts.size(); ++g) branch_parts[g].resize(branch_nodes[g].size());
  std::vector<std::vector<int64_t>> widths(analysis.groups.size());  // per group and source: columns per unit
  std::vector<at::Tensor> outputs;
  // Data-parallel: each rank runs the forward passes of its share of the samples; the features
  // are gathered below in sample order, so every rank decides on all of them, as one process would.
  const dist::Share share = dist::my_share(calibration.size());
  MIPP_CHECK(share.count > 0, kInvalidArgument, "mipp: {} calibration samples are fewer than the {} ranks",
             calibration.size(), dist::world_size());
  const int64_t n = share.count;
  const int64_t batches = (n + batch_size - 1) / batch_size;
  sink.stage_begin("mipp: activations of the calibration set", batches);
  at::NoGradGuard no_grad;
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t start = share.first + b * batch_size, count = std::min(batch_size, share.first + n - start);
    graph::ForwardResult r = graph::forward(net, calibration.inputs.narrow(0, start, count), fo);
    // Pooled on the network's device; the features go to the host, where the estimators compute.
    outputs.push_back(r.output.reshape({count, -1}).to(at::kFloat).cpu());
    for (const graph::Group& g : analysis.groups) {
      std::vector<at::Tensor> pieces;
      for (const Source& s : sources[g.id]) {
        pieces.push_back(pooled(r.taps.at(s.node), s, g.size, pool));
        if (b == 0) widths[g.id].push_back(pieces.back().size(1) / g.size);
      }
      parts[g.id].push_back(at::cat(pieces, 1).to(at::kFloat).cpu());
      if (const int node = pre_nodes[static_cast<size_t>(g.id)]; node >= 0) {
        pre_parts[g.id].push_back(pooled(r.taps.at(node), Source{node, 0, 1}, g.size, pool).to(at::kFloat).cpu());
      }
      const std::vector<int>& branches = branch_nodes[static_cast<size_t>(g.id)];
      for (size_t i = 0; i < branches.size(); ++i) {
        branch_parts[g.id][i].push_back(
            pooled(r.taps.at(branches[i]), Source{branches[i], 0, 1}, g.size, pool).to(at::kFloat).cpu());
      }
    }
    if (!sink.progress(b + 1, batches)) MIPP_FAIL(kCancelled, "mipp: interrupted while collecting activations");
  }
  sink.stage_end();

  CalibrationFeatures f;
  f.output = dist::all_gather_rows(at::cat(outputs, 0));
  MIPP_CHECK(at::isfinite(f.output).all().item<bool>(), kNumerical,
             "mipp: the network's output has NaN or Inf on the calibration set");
  if (calibration.labels.defined()) f.labels = calibration.labels;
  for (const graph::Group& g : analysis.groups) {
    GroupFeatures gf;
    gf.columns = dist::all_gather_rows(at::cat(parts[g.id], 0));
    MIPP_CHECK(at::isfinite(gf.columns).all().item<bool>(), kNumerical,
               "mipp: activations of layer {} have NaN or Inf on the calibration set", g.name);
    // Column layout: source-major, then unit, then the unit's pooled values (see pooled()).
    gf.unit_columns.resize(static_cast<size_t>(g.size));
    int64_t first = 0;
    for (const int64_t per_unit : widths[g.id]) {
      for (int64_t u = 0; u < g.size; ++u) {
        for (int64_t j = 0; j < per_unit; ++j) gf.unit_columns[static_cast<size_t>(u)].push_back(first + u * per_unit + j);
      }
      first += g.size * per_unit;
    }
    if (!pre_parts[g.id].empty()) {
      gf.pre_activations = dist::all_gather_rows(at::cat(pre_parts[g.id], 0));
      MIPP_CHECK(at::isfinite(gf.pre_activations).all().item<bool>(), kNumerical,
                 "mipp: pre-activations of layer {} have NaN or Inf on the calibration set", g.name);
    }
    for (const auto& batches : branch_parts[g.id]) {
      gf.branches.push_back(dist::all_gather_rows(at::cat(batches, 0)));
      MIPP_CHECK(at::isfinite(gf.branches.back()).all().item<bool>(), kNumerical,
                 "mipp: a branch of residual layer {} has NaN or Inf on the calibration set", g.name);
    }
    f.groups.push_back(std::move(gf));
  }
  return f;
}

}  // namespace mipp::prune::mipp_method
