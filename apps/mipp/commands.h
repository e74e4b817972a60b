// One function per subcommand: each adds its CLI11 subcommand, flags and callback to the app.
// A callback maps flags to library calls and writes results; no algorithm lives in apps/.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_common.h"

namespace mipp::cli {

void add_inspect_command(CLI::App& app, GlobalOptions& global);
void add_export_command(CLI::App& app, GlobalOptions& global);
void add_train_command(CLI::App& app, GlobalOptions& global);  // train and finetune
void add_eval_command(CLI::App& app, GlobalOptions& global);
void add_prune_command(CLI::App& app, GlobalOptions& global);
void add_latency_command(CLI::App& app, GlobalOptions& global);
void add_demo_command(CLI::App& app, GlobalOptions& global);
void add_select_features_command(CLI::App& app, GlobalOptions& global);
void add_mi_command(CLI::App& app, GlobalOptions& global);
void add_bench_command(CLI::App& app, GlobalOptions& global);

}  // namespace mipp::cli
