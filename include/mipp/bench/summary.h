// summary.md of a bench: per model and timing, tables over methods (rows) and sparsities
// (columns) of mean ± sd over seeds — top-1 after fine-tuning, right after pruning, params and
// MACs, measured latency, collapsed layers and widths, pruning time — with the best of each column
// in bold and the dense model's accuracy stated; failed cells listed with their errors.
#pragma once

#include <string>
#include <vector>

#include "mipp/bench/results.h"

namespace mipp::bench {

std::string summary_markdown(const BenchResults& r);

// Mean and sample standard deviation (0 for one value). REQUIRES: !values.empty().
struct MeanSd {
  double mean = 0;
  double sd = 0;
  size_t n = 0;
};
MeanSd mean_sd(const std::vector<double>& values);

}  // namespace mipp::bench
