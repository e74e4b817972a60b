// The calibration set in batches, and the batch-size option, shared by the data-driven methods.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "mipp/prune/method.h"

namespace mipp::prune {

// The calibration set in batches of `batch_size` (the last may be smaller), in order, moved to the
// network's device (where y meets the outputs in a loss); y is undefined when the set has no
// labels. Reports progress to in.sink.
// REQUIRES: in.calibration.
void for_each_batch(const MethodInputs& in, int64_t batch_size,
                    const std::function<void(const at::Tensor& x, const at::Tensor& y)>& fn);

// Reads {"batch_size": N} (default 128), rejecting other keys than `allowed`.
int64_t batch_size_option(const std::string& method, const nlohmann::json& options,
                          const std::vector<std::string>& allowed);

}  // namespace mipp::prune
