// mipp — structured pruning of neural networks. This file only wires subcommands together and
// translates errors into one line on stderr and an exit code:
//   0 success (--help, --version too), 2 bad input, 3 environment (cannot write), 1 a bug.
#include <c10/util/Exception.h>

#include <iostream>

#include "commands.h"
#include "event_sinks.h"
#include "mipp/dist/process_group.h"
#include "mipp/util/error.h"

int main(int argc, char** argv) {
  using namespace mipp::cli;
  handle_interrupts();
  CLI::App app{"mipp: structured pruning of neural networks on LibTorch", "mipp"};
  app.set_version_flag("--version", version_string());
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: `mipp inspect m.pt --threads 2`
  GlobalOptions global;
  add_global_options(app, global);
  add_inspect_command(app, global);
  add_export_command(app, global);
  add_train_command(app, global);
  add_eval_command(app, global);
  add_prune_command(app, global);
  add_latency_command(app, global);
  add_select_features_command(app, global);
  add_demo_command(app, global);
  add_mi_command(app, global);
  add_bench_command(app, global);
  refuse_empty_numbers(app);

  try {
    app.parse(argc, argv);
  } catch (const ExitRequest& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "mipp: error: " << e.what() << " (see mipp --help)\n";
    return 2;
  } catch (const mipp::Error& e) {
    // In a data-parallel run every rank may report: the rank says whose line it is.
    const std::string rank =
        mipp::dist::world_size() > 1 ? fmt::format("rank {} of {}: ", mipp::dist::rank(), mipp::dist::world_size()) : "";
    std::cerr << "mipp: error: " << rank << e.what() << "\n";
    if (e.kind() == mipp::ErrorKind::kCancelled) return 130;
    return e.kind() == mipp::ErrorKind::kIo ? 3 : 2;
  } catch (const c10::Error& e) {
    std::cerr << "mipp: internal error (LibTorch): " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mipp: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
