// mipp bench: runs a benchmark configuration (models x methods x sparsities x seeds x timing) into
// an output folder, resumably, and writes tables, a summary and plots (bench/run_bench.h).
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "local_ranks.h"
#include "mipp/dist/process_group.h"
#include "event_sinks.h"
#include "mipp/bench/cells.h"
#include "mipp/bench/config.h"
#include "mipp/bench/run_bench.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

struct BenchCommandOptions {
  std::string config;
  std::string out;
  bool controls = false;
  bool no_latency = false;
  bool no_plots = false;
  bool dry_run = false;
  bool report_only = false;
  bool allow_dirty = false;
  std::vector<std::string> cells;
  int nproc = 1;
};

void run_bench_command(const BenchCommandOptions& opt, const GlobalOptions& global, const std::string& command) {
  bench::BenchConfig config = bench::read_config(opt.config);  // every problem at once, before any output
  start_local_ranks_if_asked(opt.nproc, config.train.batch_size);
  if (opt.controls) config.controls = true;
  if (opt.no_latency) config.latency.enabled = false;
  GlobalOptions g = global;
  if (config.threads > 0) g.threads = config.threads;  // the configuration's thread count is part of its identity
  const int threads = apply_global_options(g, /*data_parallel=*/true);
  config.threads = threads;
  const std::vector<bench::Cell> all = bench::enumerate_cells(config);
  const std::vector<bench::Cell> selected = bench::matching_cells(config, all, opt.cells);
  if (opt.dry_run) {
    if (!dist::is_main()) return;
    for (const bench::Cell& cell : selected) std::cout << bench::cell_key(config, cell) << "\n";
    const std::string thread_count = fmt::format("{} thread{}", threads, threads == 1 ? "" : "s");
    std::cout << (opt.cells.empty() ? fmt::format("{} cells, {}\n", all.size(), thread_count)
                                    : fmt::format("{} of {} cells, {}\n", selected.size(), all.size(), thread_count));
    return;
  }
  set_resume_hint((std::filesystem::path(opt.out) / "cells.jsonl").string(),
                  "finished cells are kept: run the same command to resume");
  auto sink = make_event_sink(global.log_format, global.quiet);
  bench::BenchRunOptions run;
  run.out_dir = opt.out;
  run.threads = threads;
  run.device = run_device();
  run.command = command;
  run.render_plots = !opt.no_plots;
  run.run_cells = !opt.report_only;
  run.cells = opt.cells;
  run.allow_dirty = opt.allow_dirty;
  const bench::BenchOutcome outcome = bench::run_bench(config, run, *sink);
  if (!outcome.plot_note.empty()) sink->message(util::LogLevel::kWarn, outcome.plot_note);
  if (!dist::is_main()) return;
  std::cout << fmt::format("{} cells: {} run now ({} failed), {} finished earlier; results in {}/summary.md\n",
                           outcome.cells_total, outcome.cells_run, outcome.cells_failed, outcome.cells_skipped, opt.out);
}

}  // namespace

void add_bench_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<BenchCommandOptions>();
  CLI::App* cmd = add_command(
      app, "bench", "run a benchmark: every method at every sparsity and seed, with the same fine-tuning; resumable",
      "Examples:\n  mipp bench bench/configs/smoke.json --out /tmp/smoke\n"
      "  mipp bench bench/configs/lenet5-fmnist.json --out lenet5-bench --controls\n"
      "  mipp bench bench/configs/lenet5-fmnist.json --dry-run   (list the cells)\n"
      "  mipp bench bench/configs/vgg11-fmnist32.json --out vgg --cells '*/after/*/seed0'   (a part of it)\n"
      "Rerun the same command on the same --out to resume an interrupted bench.\n");
  cmd->add_option("config", opt->config, "benchmark configuration (JSON; see docs/USAGE.md)")->required();
  cmd->add_option("--out", opt->out, "output folder (created; resumed when it holds this bench)");
  cmd->add_flag("--controls", opt->controls,
                "add per method a layer-wise shuffled mask and a re-initialised copy (Frankle et al. 2021)");
  cmd->add_flag("--no-latency", opt->no_latency, "do not measure latency (faster)");
  cmd->add_flag("--no-plots", opt->no_plots, "write the gnuplot scripts but do not render them");
  cmd->add_flag("--dry-run", opt->dry_run, "validate the configuration and list its cells; run nothing");
  cmd->add_option("--cells", opt->cells,
                  "run only the cells whose key (see --dry-run) matches this shell glob; repeatable. The rest can "
                  "run later into the same --out")
      ->allow_extra_args(false);
  cmd->add_option("--nproc", opt->nproc,
                  "data-parallel: N ranks on this machine run every cell together (training, fine-tuning and "
                  "calibration shared; rank 0 writes and measures latency); the same as torchrun --no-python "
                  "--nproc-per-node N mipp bench ...")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_flag("--report-only", opt->report_only,
                "rewrite results, summary and plots from the cells finished so far in --out; run none");
  cmd->add_flag("--allow-dirty", opt->allow_dirty,
                "run cells although this mipp was built with uncommitted changes (refused otherwise: results "
                "would name a commit whose code they did not run); the manifest and summary say so");
  cmd->callback([opt, &global] {
    if (!opt->dry_run && opt->out.empty()) throw CLI::RequiredError("--out");
    std::string command = "mipp bench " + opt->config;
    if (!opt->out.empty()) command += " --out " + opt->out;
    if (opt->controls) command += " --controls";
    if (opt->no_latency) command += " --no-latency";
    if (opt->allow_dirty) command += " --allow-dirty";
    for (const std::string& pattern : opt->cells) command += " --cells '" + pattern + "'";
    run_bench_command(*opt, global, command);
  });
}

}  // namespace mipp::cli
