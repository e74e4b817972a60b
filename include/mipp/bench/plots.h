// Plots of a bench, as gnuplot scripts with their data files in DIR/plots, rendered to PNG when
// gnuplot is installed (the scripts stay, so plots can be re-rendered or restyled):
//   <model>-<timing>-accuracy.png   top-1 after fine-tuning vs sparsity, mean ± sd over seeds
//   <model>-<timing>-macs.png       top-1 after fine-tuning vs MACs (log scale), mean ± sd
//   <model>-<timing>-widths-<s>.png per-layer widths per method at sparsity s (mean over seeds)
#pragma once

#include <string>
#include <vector>

#include "mipp/bench/results.h"

namespace mipp::bench {

struct PlotOutcome {
  std::vector<std::string> scripts;   // the .gp files written
  std::vector<std::string> images;    // the .png files rendered
  std::string note;                   // why nothing was rendered (no gnuplot), or a failed render
};

// Writes scripts and data into `dir` (created when missing) and runs gnuplot on each script when
// `render` and gnuplot is on the PATH. Throws Error(kIo) when a file cannot be written; a failed
// render is a note, not an error.
PlotOutcome write_plots(const BenchResults& r, const std::string& dir, bool render = true);

}  // namespace mipp::bench
