// Batch-norm re-estimation: after units are removed (or weights refitted), the activations that
// reach a batch-norm change, and its running statistics no longer match them. This recomputes each
// batch-norm's running mean and (unbiased) variance exactly over a dataset, in eval mode, first
// layer to last, so each one is measured with the ones before it already updated.
#pragma once

#include <cstdint>

#include "mipp/data/dataset.h"
#include "mipp/graph/network.h"

namespace mipp::train {

// Returns how many batch-norm nodes were updated. Labels are not read.
// Throws Error(kInvalidArgument) when the dataset does not fit the network, or is empty.
int recalibrate_batch_norms(graph::Network& net, const data::Dataset& d, int64_t batch_size = 256);

}  // namespace mipp::train
