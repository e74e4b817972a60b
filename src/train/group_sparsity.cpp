#include "mipp/train/group_sparsity.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/full_like.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mipp/graph/unit_rows.h"
#include "mipp/util/error.h"

namespace mipp::train {

namespace {

using nlohmann::json;

// A group's units as one [units, k] matrix (a copy), and back.
at::Tensor gather(const std::vector<at::Tensor>& rows) {
  std::vector<at::Tensor> pieces;
  for (const at::Tensor& r : rows) pieces.push_back(r.detach());
  return at::cat(pieces, 1);
}

void scatter(const std::vector<at::Tensor>& rows, const at::Tensor& x) {
  int64_t column = 0;
  for (const at::Tensor& r : rows) {
    r.copy_(x.narrow(1, column, r.size(1)));
    column += r.size(1);
  }
}

}  // namespace

GroupSparsity::GroupSparsity(const graph::Network& net, const GroupSparsityOptions& options)
    : net_(net), options_(options), analysis_(graph::analyze(net)) {
  validate(options_);
  int64_t units = 0, removable = 0;
  for (const graph::Group& g : analysis_.groups) {
    rows_.push_back(graph::unit_rows(net_, g));
    units += g.size;
    removable += std::max<int64_t>(0, g.size - options_.min_width);
  }
  MIPP_CHECK(units > 0, kInvalidArgument, "--group-sparsity: the model has no prunable groups");
  to_zero_ = static_cast<int64_t>(std::llround(options_.target * static_cast<double>(units)));
  MIPP_CHECK(to_zero_ <= removable, kInvalidArgument,
             "--group-sparsity {}: at most {:.4f} of the units can go with min width {}", options_.target,
             static_cast<double>(removable) / static_cast<double>(units), options_.min_width);
}

void GroupSparsity::before_step() {
  if (to_zero_ == 0) return;
  before_.clear();
  for (const auto& rows : rows_) before_.push_back(gather(rows));
}

// Scores every unit (OTOv2: half the cosine between -x and -d, half the inverse of the mean entry
// magnitude, each normalised over all units) and marks the highest `to_zero_` redundant, never
// leaving a group fewer than min_width units; ties go to the lower group and unit.
void GroupSparsity::partition(const std::vector<at::Tensor>& directions) {
  std::vector<at::Tensor> cosines, inverse_norms;
  for (size_t g = 0; g < before_.size(); ++g) {
    const at::Tensor x = before_[g].to(at::kDouble), d = directions[g].to(at::kDouble);
    const at::Tensor norms = x.norm(2, {1});
    cosines.push_back((x * d).sum(1) / (norms * d.norm(2, {1})).clamp_min(1e-12));
    inverse_norms.push_back(1.0 / (norms / static_cast<double>(x.size(1)) + 1e-6));
  }
  const at::Tensor cosine = at::cat(cosines).cpu(), inverse = at::cat(inverse_norms).cpu();
  const at::Tensor score = 0.5 * cosine / cosine.norm().clamp_min(1e-12) + 0.5 * inverse / inverse.norm();
  const double* s = score.data_ptr<double>();
  struct Unit {
    size_t group;
    int64_t index;
  };
  std::vector<Unit> units;
  for (size_t g = 0; g < analysis_.groups.size(); ++g) {
    for (int64_t u = 0; u < analysis_.groups[g].size; ++u) units.push_back({g, u});
  }
  std::vector<size_t> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] > s[b]; });
  std::vector<std::vector<uint8_t>> marked;
  std::vector<int64_t> left;
  for (const graph::Group& g : analysis_.groups) {
    marked.emplace_back(static_cast<size_t>(g.size), 0);
    left.push_back(g.size);
  }
  int64_t taken = 0;
  for (size_t i = 0; i < order.size() && taken < to_zero_; ++i) {
    const Unit& u = units[order[i]];
    if (left[u.group] <= options_.min_width) continue;
    marked[u.group][static_cast<size_t>(u.index)] = 1;
    --left[u.group];
    ++taken;
  }
  redundant_.clear();
  for (const auto& m : marked) {
    redundant_.push_back(at::tensor(std::vector<int64_t>(m.begin(), m.end()), at::kLong).to(at::kBool).to(net_.device()));
  }
}

void GroupSparsity::after_step(double lr) {
  if (to_zero_ == 0 || lr <= 0) return;
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> after, directions;
  for (size_t g = 0; g < rows_.size(); ++g) {
    after.push_back(gather(rows_[g]));
    directions.push_back((before_[g] - after.back()) / lr);
  }
  if (redundant_.empty()) partition(directions);
  const GroupSparsityOptions& o = options_;
  for (size_t g = 0; g < rows_.size(); ++g) {
    const at::Tensor x = before_[g].to(at::kDouble), d = directions[g].to(at::kDouble);
    const at::Tensor red = redundant_[g];
    const at::Tensor norms = x.norm(2, {1}), inner = (x * d).sum(1), step_norms = d.norm(2, {1});
    const at::Tensor safe_norms = norms.clamp_min(1e-30);
    // The least pull that turns an outward step back, amplified, within [lambda, lambda * max];
    // past the pull that would reverse the whole step, midway between the two.
    const at::Tensor lower = -inner / safe_norms;
    const at::Tensor upper = -(step_norms * step_norms * norms) / inner.clamp_max(-1e-30);
    at::Tensor adjusted = (o.lambda_amplify * lower).clamp(o.lambda, o.lambda * o.lambda_max_factor);
    adjusted = at::where(adjusted >= upper, (upper + lower) / 2, adjusted);
    const at::Tensor lambdas = at::where(red & (inner < 0), adjusted, at::full_like(norms, o.lambda));
    const at::Tensor pulled = after[g].to(at::kDouble) - lr * (lambdas / safe_norms).unsqueeze(1) * x;
    at::Tensor next = at::where(red.unsqueeze(1), pulled, after[g].to(at::kDouble));
    // Half-space projection of the redundant units; a unit once zero stays zero.
    const at::Tensor leaves = red & ((next * x).sum(1) < o.epsilon * norms * norms);
    next = at::where((leaves | (norms == 0)).unsqueeze(1), at::zeros_like(next), next);
    scatter(rows_[g], next.to(after[g].scalar_type()));
  }
}

double GroupSparsity::zero_fraction() const {
  int64_t zero = 0, units = 0;
  for (const graph::Group& g : analysis_.groups) {
    zero += graph::unit_norms(net_, g).eq(0).sum().item<int64_t>();
    units += g.size;
  }
  return static_cast<double>(zero) / static_cast<double>(units);
}

json GroupSparsity::state() const {
  json redundant = json::object();
  for (size_t g = 0; g < redundant_.size(); ++g) {
    const at::Tensor units = redundant_[g].nonzero().flatten().cpu();
    redundant[analysis_.groups[g].name] =
        std::vector<int64_t>(units.data_ptr<int64_t>(), units.data_ptr<int64_t>() + units.numel());
  }
  return {{"redundant", redundant}, {"partitioned", !redundant_.empty()}};
}

void GroupSparsity::restore(const json& state) {
  if (!state.at("partitioned").get<bool>()) return;
  redundant_.clear();
  for (const graph::Group& g : analysis_.groups) {
    at::Tensor marked = at::zeros({g.size}, at::kBool);
    for (int64_t u : state.at("redundant").at(g.name).get<std::vector<int64_t>>()) marked[u] = true;
    redundant_.push_back(marked.to(net_.device()));
  }
}

}  // namespace mipp::train
