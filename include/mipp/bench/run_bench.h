// bench::run_bench — runs every cell of a configuration into an output folder, resumably.
//
// Per model and seed the dense model is trained once (checkpointed every epoch, so an interrupted
// training resumes) and cached in DIR/cache with its initial weights. Each cell prunes (the trained
// model, or the initial one for pruning before training), fine-tunes (or trains with the full
// schedule), evaluates and measures; its record is appended to DIR/cells.jsonl as soon as it
// finishes. A cell that throws (mipp::Error or any std::exception) is recorded as failed with its
// error and the bench goes on; a cancellation (Ctrl-C through the sink) stops it with
// Error(kCancelled) and keeps everything finished. Rerunning on the same folder skips finished
// (and failed) cells. After the cells: results.csv, results.json, summary.md, plots/.
//
// Determinism: every random choice derives from the cell's seed by name (util::derive_seed), so a
// cell's results depend only on the cell, the configuration and the thread count — not on which
// cells ran before it, nor on whether the bench was resumed.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "mipp/bench/config.h"
#include "mipp/util/events.h"

namespace mipp::bench {

struct BenchRunOptions {
  std::string out_dir;        // created when missing
  int threads = 1;            // LibTorch intra-op threads in effect (the caller sets them), for the manifest
  c10::Device device{c10::kCPU};  // where models are trained, pruned and measured
  std::string command;        // the command line, quoted in summary.md
  bool render_plots = true;   // false: write the gnuplot scripts only
  bool run_cells = true;      // false: only rewrite the outputs from the cells finished so far
  std::vector<std::string> cells;  // run only cells matching one of these globs (matching_cells); empty: all
  bool allow_dirty = false;   // run cells from a build with uncommitted changes (check_publishable)
};

struct BenchOutcome {
  size_t cells_total = 0;
  size_t cells_skipped = 0;   // finished in an earlier run
  size_t cells_run = 0;
  size_t cells_failed = 0;    // of those run now
  std::string plot_note;      // e.g. gnuplot missing: scripts written, nothing rendered
};

// Throws Error(kInvalidArgument) when out_dir holds a bench of a different configuration or mipp was
// built with uncommitted changes and allow_dirty is false (before writing anything),
// Error(kIo) when it cannot be written, Error(kCancelled) when the sink asked to stop.
BenchOutcome run_bench(const BenchConfig& config, const BenchRunOptions& options, util::EventSink& sink);

}  // namespace mipp::bench
