#include "prune/reconstruction/greedy_selection.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorIndexing.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/randperm.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <cmath>

#include "mipp/util/error.h"
#include "prune/reconstruction/least_squares.h"

namespace mipp::prune::reconstruction {

namespace {

// Unit columns of a view as [units, kappa] int64 on the CPU (every unit of a consumer owns equally
// many); ResidualState moves the rows it is given to the Grams' device.
at::Tensor unit_blocks(const ConsumerView& v) {
  const int64_t units = static_cast<int64_t>(v.unit_columns.size());
  const int64_t kappa = units > 0 ? static_cast<int64_t>(v.unit_columns[0].size()) : 0;
  at::Tensor blocks = at::empty({units, kappa}, at::kLong);
  auto acc = blocks.accessor<int64_t, 2>();
  for (int64_t u = 0; u < units; ++u) {
    const auto& cols = v.unit_columns[static_cast<size_t>(u)];
    MIPP_CHECK(static_cast<int64_t>(cols.size()) == kappa, kNotSupported,
               "the units of a group own different numbers of a layer's input columns");
    for (int64_t k = 0; k < kappa; ++k) acc[u][k] = cols[static_cast<size_t>(k)];
  }
  return blocks;
}

// The index of the largest value, the lowest index among equals. REQUIRES: `values` on the CPU.
int64_t argmax_first(const at::Tensor& values) {
  const auto acc = values.accessor<double, 1>();
  int64_t best = 0;
  for (int64_t i = 1; i < values.size(0); ++i) {
    if (acc[i] > acc[best]) best = i;
  }
  return best;
}

}  // namespace

GreedyResult greedy_selection(const std::vector<ConsumerView>& views, int64_t units, int64_t keep,
                              const GreedyOptions& options) {
  MIPP_CHECK(keep >= 0 && keep <= units, kInvalidArgument, "keep {} of {} units", keep, units);
  std::vector<ResidualState> states;
  std::vector<at::Tensor> blocks;
  double base = 0;  // error left by the fixed columns: F's normaliser
  for (const ConsumerView& v : views) {
    states.push_back(ResidualState::for_consumer(v.grams));
    states.back().add(v.fixed_columns);
    base += states.back().residual_energy();
    blocks.push_back(unit_blocks(v));
  }
  const double stall = 1e-12 * std::max(base, 1e-300);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const int64_t sample =
      options.epsilon > 0
          ? std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(units) /
                                                                std::max<int64_t>(keep, 1) *
                                                                std::log(1 / options.epsilon))))
          : units;

  GreedyResult result;
  std::vector<int64_t> remaining(static_cast<size_t>(units));
  for (int64_t u = 0; u < units; ++u) remaining[static_cast<size_t>(u)] = u;
  double explained = 0;
  while (static_cast<int64_t>(result.order.size()) < keep) {
    std::vector<int64_t> candidates = remaining;
    if (sample < static_cast<int64_t>(remaining.size())) {
      const at::Tensor pick = at::randperm(static_cast<int64_t>(remaining.size()), gen).narrow(0, 0, sample);
      candidates.clear();
      for (int64_t i = 0; i < sample; ++i) candidates.push_back(remaining[static_cast<size_t>(pick[i].item<int64_t>())]);
      std::sort(candidates.begin(), candidates.end());
    }
    // Gains and novelties come back to the CPU, where the choice is made.
    const at::Tensor index = at::tensor(candidates, at::kLong);
    at::Tensor gains = at::zeros({index.size(0)}, at::kDouble);
    for (size_t c = 0; c < states.size(); ++c) gains += states[c].gains(blocks[c].index({index})).cpu();
    int64_t best = candidates[static_cast<size_t>(argmax_first(gains))];
    if (gains.max().item<double>() <= stall) {  // stalled: fill up by new direction, over all left
      const at::Tensor left = at::tensor(remaining, at::kLong);
      at::Tensor novelty = at::zeros({left.size(0)}, at::kDouble);
      for (size_t c = 0; c < states.size(); ++c) novelty += states[c].novelty(blocks[c].index({left})).cpu();
      best = remaining[static_cast<size_t>(argmax_first(novelty))];
    }
    double gain = 0;
    for (size_t c = 0; c < states.size(); ++c) {
      const at::Tensor cols = blocks[c][best];
      gain += states[c].add(std::vector<int64_t>(cols.data_ptr<int64_t>(), cols.data_ptr<int64_t>() + cols.numel()));
    }
    explained += gain;
    result.order.push_back(best);
    result.gains.push_back(base > 0 ? gain / base : 0.0);
    result.value.push_back(base > 0 ? explained / base : 0.0);
    remaining.erase(std::find(remaining.begin(), remaining.end(), best));
  }
  return result;
}

std::vector<int64_t> thinet_removal(const std::vector<ConsumerView>& views, int64_t units, int64_t keep) {
  // Q[u, v] = <x_u, x_v>: inner products of the units' contributions to the consumers' outputs,
  // computed on the Grams' device and kept on the CPU for the greedy loop's element reads.
  at::Tensor q = at::zeros({units, units}, at::kDouble);
  for (const ConsumerView& v : views) {
    const ConsumerGrams& g = v.grams;
    at::Tensor x = g.weight.t().clone();  // [D, m]
    x[g.columns - 1].zero_();             // the bias is nobody's contribution
    at::Tensor indicator = at::zeros({units, g.columns}, at::kDouble);  // filled on the CPU, then moved
    for (int64_t u = 0; u < units; ++u) {
      for (int64_t c : v.unit_columns[static_cast<size_t>(u)]) indicator[u][c] = 1;
    }
    indicator = indicator.to(g.bb.device());
    q += indicator.mm(g.bb * x.mm(x.t())).mm(indicator.t()).cpu();
  }
  // Greedy removal: the set T's error is sum_{u, v in T} Q[u, v]; adding i costs 2 Q[T, i] + Q[i, i].
  at::Tensor with_removed = at::zeros({units}, at::kDouble);  // sum over u in T of Q[u, :]
  std::vector<bool> removed(static_cast<size_t>(units), false);
  for (int64_t step = 0; step < units - keep; ++step) {
    const at::Tensor cost = 2 * with_removed + q.diagonal();
    const auto acc = cost.accessor<double, 1>();
    int64_t best = -1;
    for (int64_t i = 0; i < units; ++i) {
      if (!removed[static_cast<size_t>(i)] && (best < 0 || acc[i] < acc[best])) best = i;
    }
    removed[static_cast<size_t>(best)] = true;
    with_removed += q[best];
  }
  std::vector<int64_t> kept;
  for (int64_t u = 0; u < units; ++u) {
    if (!removed[static_cast<size_t>(u)]) kept.push_back(u);
  }
  return kept;
}

}  // namespace mipp::prune::reconstruction
