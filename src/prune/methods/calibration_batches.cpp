#include <algorithm>
#include <fmt/ranges.h>

#include "mipp/util/error.h"
#include "prune/methods/calibration_batches.h"

namespace mipp::prune {

void for_each_batch(const MethodInputs& in, int64_t batch_size,
                    const std::function<void(const at::Tensor& x, const at::Tensor& y)>& fn) {
  const data::Dataset& d = *in.calibration;
  const c10::Device device = in.net.device();
  const int64_t batches = (d.size() + batch_size - 1) / batch_size;
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t start = b * batch_size, n = std::min(batch_size, d.size() - start);
    fn(d.inputs.narrow(0, start, n).to(device),
       d.labels.defined() ? d.labels.narrow(0, start, n).to(device) : at::Tensor());
    if (!in.sink.progress(b + 1, batches)) MIPP_FAIL(kCancelled, "interrupted at calibration batch {} of {}", b + 1, batches);
  }
}

int64_t batch_size_option(const std::string& method, const nlohmann::json& options,
                          const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : options.items()) {
    MIPP_CHECK(std::find(allowed.begin(), allowed.end(), key) != allowed.end(), kInvalidArgument,
               "method {}: unknown option '{}' (it has: {})", method, key, fmt::join(allowed, ", "));
  }
  const int64_t batch_size = options.value("batch_size", int64_t{128});
  MIPP_CHECK(batch_size >= 1, kInvalidArgument, "method {}: batch_size {} must be at least 1", method, batch_size);
  return batch_size;
}

}  // namespace mipp::prune
