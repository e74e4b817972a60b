#include "info/columns.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/isfinite.h>

#include <fmt/format.h>

#include "mipp/util/error.h"

namespace mipp::info {

StandardizedColumns standardize_columns(const at::Tensor& t) {
  StandardizedColumns r;
  if (!t.defined() || t.size(1) == 0) return r;
  const at::Tensor centred = t - t.mean(0, /*keepdim=*/true);
  const at::Tensor scale = centred.pow(2).mean(0).sqrt();  // [d], population standard deviations
  // The second condition catches variances that underflow (values ~1e-200 apart).
  const at::Tensor varies = (std::get<0>(t.max(0)) != std::get<0>(t.min(0))) & at::isfinite(scale.reciprocal());
  const at::Tensor index = varies.nonzero().flatten().contiguous();
  r.kept.assign(index.data_ptr<int64_t>(), index.data_ptr<int64_t>() + index.numel());
  r.data = (centred.index_select(1, index) / scale.index_select(0, index)).contiguous();
  return r;
}

std::vector<std::vector<int64_t>> unit_positions(const std::string& context, const StandardizedColumns& c,
                                                 int64_t columns, const std::vector<std::vector<int64_t>>& units) {
  std::vector<int64_t> position(static_cast<size_t>(columns), -1);
  for (size_t j = 0; j < c.kept.size(); ++j) position[static_cast<size_t>(c.kept[j])] = static_cast<int64_t>(j);
  std::vector<bool> used(static_cast<size_t>(columns), false);
  std::vector<std::vector<int64_t>> out;
  for (size_t u = 0; u < units.size(); ++u) {
    std::vector<int64_t> kept;
    for (int64_t col : units[u]) {
      MIPP_CHECK(col >= 0 && col < columns, kInvalidArgument, "{}: unit {} names column {} of {}", context, u, col,
                 columns);
      MIPP_CHECK(!used[static_cast<size_t>(col)], kInvalidArgument, "{}: column {} is in two units", context, col);
      used[static_cast<size_t>(col)] = true;
      if (position[static_cast<size_t>(col)] >= 0) kept.push_back(position[static_cast<size_t>(col)]);
    }
    out.push_back(std::move(kept));
  }
  return out;
}

std::string column_label(const char* what, const StandardizedColumns& c, int64_t j) {
  return fmt::format("{} column {}", what, c.kept[static_cast<size_t>(j)]);
}

}  // namespace mipp::info
