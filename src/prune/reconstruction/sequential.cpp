#include "prune/reconstruction/sequential.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/TensorIndexing.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/linalg_pinv.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>
#include <map>
#include <set>

#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "prune/reconstruction/least_squares.h"

namespace mipp::prune::reconstruction {

namespace {

using nlohmann::json;

// Columns of consumer input channels [first, first + count): kernel positions of each channel.
void append_channel_columns(int64_t first, int64_t count, int64_t block, std::vector<int64_t>& out) {
  for (int64_t ch = first; ch < first + count; ++ch) {
    for (int64_t k = 0; k < block; ++k) out.push_back(ch * block + k);
  }
}

// ThiNet's least-squares scaling: one factor per kept unit on its columns, fitted so the consumer's
// output (asymmetric target) is matched best with the fixed columns unscaled. Returns the
// updated [D, m] coefficients.
at::Tensor scaled_coefficients(const ConsumerView& v, const std::vector<int64_t>& kept_units,
                               const at::Tensor& plain) {
  const ConsumerGrams& g = v.grams;
  const int64_t d = g.columns;
  const int64_t k = static_cast<int64_t>(kept_units.size());
  // The 0/1 selectors are filled on the CPU (element writes), then moved to the Grams' device.
  at::Tensor indicator = at::zeros({k, d}, at::kDouble);  // kept unit -> its columns
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t c : v.unit_columns[static_cast<size_t>(kept_units[static_cast<size_t>(i)])]) indicator[i][c] = 1;
  }
  at::Tensor fixed = at::zeros({d}, at::kDouble);
  for (int64_t c : v.fixed_columns) fixed[c] = 1;
  indicator = indicator.to(g.bb.device());
  fixed = fixed.to(g.bb.device());
  const at::Tensor x = plain;  // [D, m]: x_u = B[:, cols u] X[cols u]
  const at::Tensor e = g.bb * x.mm(x.t());  // E[i, j] = bb[i, j] * <X_i, X_j>
  const at::Tensor q = indicator.mm(e).mm(indicator.t());
  const at::Tensor target = (g.ba.mm(g.weight.t()) * x).sum(1);  // <B_i X_i, A W^T> per column i
  const at::Tensor r = indicator.mv(target) - indicator.mm(e).mv(fixed);
  const at::Tensor alpha = at::linalg_pinv(q, 1e-11, true).mv(r);
  const at::Tensor scale = at::ones({d}, fixed.options()) * fixed + indicator.t().mv(alpha);
  return x * scale.unsqueeze(1);
}

}  // namespace

std::vector<int> consumer_nodes(const graph::Group& g) {
  std::vector<int> nodes;
  for (const graph::ChannelSlice& s : g.consumers) {
    if (std::find(nodes.begin(), nodes.end(), s.node) == nodes.end()) nodes.push_back(s.node);
  }
  return nodes;
}

std::vector<ConsumerView> consumer_views(const graph::Group& group, std::vector<ConsumerGrams> grams,
                                         const std::map<int, std::set<int64_t>>& removed) {
  std::vector<ConsumerView> views;
  for (ConsumerGrams& g : grams) {
    ConsumerView v;
    v.unit_columns.resize(static_cast<size_t>(group.size));
    for (const graph::ChannelSlice& s : group.consumers) {
      if (s.node != g.node) continue;
      for (int64_t u = 0; u < group.size; ++u) {
        append_channel_columns(s.offset + u * s.span, s.span, g.block, v.unit_columns[static_cast<size_t>(u)]);
      }
    }
    const auto earlier = removed.find(g.node);
    std::set<int64_t> taken = earlier != removed.end() ? earlier->second : std::set<int64_t>{};
    for (const auto& cols : v.unit_columns) taken.insert(cols.begin(), cols.end());
    for (int64_t c = 0; c + 1 < g.columns; ++c) {
      if (taken.count(c) == 0) v.fixed_columns.push_back(c);
    }
    if (g.has_bias) v.fixed_columns.push_back(g.columns - 1);
    v.grams = std::move(g);
    views.push_back(std::move(v));
  }
  return views;
}

prune::Selection counts_for_budget(const graph::Network& net, const graph::Analysis& analysis,
                                   const prune::Budget& budget) {
  MIPP_CHECK(budget.scope != "global", kInvalidArgument, "counts_for_budget needs the layer or custom scope");
  std::vector<at::Tensor> ranks;  // any scores will do: the scope fixes the counts
  for (const graph::Group& g : analysis.groups) ranks.push_back(at::arange(g.size, 0, -1, at::kDouble));
  return prune::select_units(net, analysis, ranks, budget);
}

std::vector<int> input_to_output_order(const graph::Analysis& analysis) {
  std::vector<int> order;
  for (const graph::Group& g : analysis.groups) order.push_back(g.id);
  auto first_producer = [&](int g) {
    const auto& p = analysis.groups[static_cast<size_t>(g)].producers;
    return *std::min_element(p.begin(), p.end());
  };
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return first_producer(x) < first_producer(y); });
  return order;
}

SequentialResult prune_sequentially(const graph::Network& net, const graph::Analysis& analysis,
                                    const data::Dataset& calibration, const std::vector<int64_t>& counts,
                                    const LayerChooser& choose, const SequentialOptions& options,
                                    util::EventSink& sink) {
  const std::string& variant = options.variant;
  MIPP_CHECK(variant == "layer" || variant == "seq" || variant == "asym", kInvalidArgument,
             "variant '{}': use layer, seq or asym", variant);
  MIPP_CHECK(counts.size() == analysis.groups.size(), kInvalidArgument, "{} unit counts for {} groups", counts.size(),
             analysis.groups.size());
  SequentialResult result{net.deep_copy(), graph::KeepSets(analysis.groups.size()), json::array()};
  graph::Network& work = result.network;
  std::map<int, std::set<int64_t>> removed_columns;  // consumer node -> input columns of removed units

  const std::vector<int> order = input_to_output_order(analysis);
  for (size_t step = 0; step < order.size(); ++step) {
    const graph::Group& group = analysis.groups[static_cast<size_t>(order[step])];
    const int64_t count = counts[static_cast<size_t>(group.id)];
    if (count == group.size) {  // nothing removed: the layers after it keep their weights
      for (int64_t u = 0; u < group.size; ++u) result.keep[static_cast<size_t>(group.id)].push_back(u);
      result.layers.push_back({{"group", group.name}, {"width_before", group.size}, {"width_after", group.size}});
      continue;
    }
    const graph::Network& b_net = variant == "layer" ? net : work;
    const graph::Network& a_net = variant == "asym" ? net : b_net;
    GramOptions gram_options = options.grams;
    gram_options.seed = util::derive_seed(options.grams.seed, fmt::format("reconstruction {}", group.id));
    std::vector<ConsumerGrams> grams =
        consumer_grams(b_net, a_net, consumer_nodes(group), calibration, gram_options, util::null_sink());
    std::vector<ConsumerView> views = consumer_views(group, std::move(grams), removed_columns);
    std::vector<int64_t> keep = choose(group, views, count);
    MIPP_CHECK(static_cast<int64_t>(keep.size()) == count, kInvalidArgument, "{}: {} units chosen, {} asked", group.name,
               keep.size(), count);
    std::sort(keep.begin(), keep.end());

    json consumers = json::array();
    for (const ConsumerView& v : views) {
      std::vector<bool> kept(static_cast<size_t>(group.size), false);
      for (int64_t u : keep) kept[static_cast<size_t>(u)] = true;
      std::set<int64_t>& removed = removed_columns[v.grams.node];
      std::vector<int64_t> columns = v.fixed_columns;
      for (int64_t u = 0; u < group.size; ++u) {
        const auto& cols = v.unit_columns[static_cast<size_t>(u)];
        if (kept[static_cast<size_t>(u)]) {
          columns.insert(columns.end(), cols.begin(), cols.end());
        } else {
          removed.insert(cols.begin(), cols.end());
        }
      }
      std::sort(columns.begin(), columns.end());
      graph::Node& node = work.node(v.grams.node);
      at::Tensor plain = weight_matrix(node).t().contiguous();  // [D, m]
      for (int64_t c : removed) plain[c].zero_();
      at::Tensor updated = plain;
      if (options.update == WeightUpdate::kLeastSquares) {
        updated = at::zeros_like(plain);
        updated.index_put_({column_index(columns, updated.device())}, solve_columns(v.grams, columns));
      } else if (options.update == WeightUpdate::kScaling) {
        updated = scaled_coefficients(v, keep, plain);
      }
      const double before = relative_error(v.grams, plain), after = relative_error(v.grams, updated);
      set_weight_matrix(node, updated.t());
      consumers.push_back({{"consumer", node.name}, {"rows", v.grams.rows}, {"error_removed", before},
                           {"error_updated", after}});
    }
    result.keep[static_cast<size_t>(group.id)] = keep;
    const json layer = {{"group", group.name}, {"width_before", group.size}, {"width_after", keep.size()},
                        {"consumers", consumers}};
    sink.record({{"event", "reconstruction_layer"}, {"layer", layer}});
    result.layers.push_back(layer);
    if (!sink.progress(static_cast<int64_t>(step) + 1, static_cast<int64_t>(order.size()))) {
      MIPP_FAIL(kCancelled, "cancelled after layer {}", group.name);
    }
  }
  return result;
}

prune::Selection select_sequentially(const prune::MethodInputs& in, prune::Selection counts, const std::string& target,
                                     const LayerChooser& choose, const SequentialOptions& options,
                                     nlohmann::json& layers) {
  std::vector<int64_t> sizes;
  for (const auto& k : counts.keep) sizes.push_back(static_cast<int64_t>(k.size()));
  SequentialResult r = prune_sequentially(in.net, in.analysis, *in.calibration, sizes, choose, options, in.sink);
  layers = std::move(r.layers);
  counts.keep = std::move(r.keep);
  counts.achieved = prune::measure_sparsity(in.net, in.analysis, counts.keep, target);
  counts.network = std::move(r.network);
  return counts;
}

}  // namespace mipp::prune::reconstruction
