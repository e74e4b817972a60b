#include "info/columns.h"

#include <torch/torch.h>

#include <fmt/format.h>

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

std::string column_label(const char* what, const StandardizedColumns& c, int64_t j) {
  return fmt::format("{} column {}", what, c.kept[static_cast<size_t>(j)]);
}

}  // namespace mipp::info
