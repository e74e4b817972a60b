// mipp inspect: per-layer shapes, widths, parameters and MACs of a model file or a zoo model.
#include <iostream>
#include <fmt/ranges.h>

#include "commands.h"
#include "mipp/report/layer_table.h"

namespace mipp::cli {

namespace {

struct InspectOptions {
  ModelSource source;
  bool json = false;
  bool all_nodes = false;
  bool list = false;
};

void list_zoo() {
  for (const models::ZooEntry& e : models::zoo_entries()) {
    std::cout << fmt::format("{:<10} input {:<9} {}\n", e.name, fmt::format("{}", fmt::join(e.default_input_shape, "x")),
                             e.description);
  }
}

void run_inspect(const InspectOptions& opt, const GlobalOptions& global) {
  if (opt.list) return list_zoo();
  const int threads = apply_global_options(global);
  const io::Model model = load_or_build(opt.source, global);
  const report::LayerTable table = report::layer_table(model.network);
  if (opt.json) {
    nlohmann::json j = report::to_json(table);
    j["model"] = {{"source", opt.source.file.empty() ? "zoo" : opt.source.file},
                  {"architecture", model.metadata.architecture},
                  {"input_shape", model.network.input_shape()},
                  {"num_classes", model.network.output_shape().front()},
                  {"dataset", model.metadata.dataset},
                  {"history", model.metadata.history}};
    j["run"] = run_info(threads);
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} — input [{}], {} classes\n", model.metadata.architecture,
                           fmt::join(model.network.input_shape(), ", "), model.network.output_shape().front());
  std::cout << report::format_text(table, opt.all_nodes);
}

}  // namespace

void add_inspect_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<InspectOptions>();
  CLI::App* cmd = add_command(app, "inspect", "per-layer table of shapes, widths, params and MACs",
                              "Examples:\n  mipp inspect lenet5.pt\n  mipp inspect --model resnet20 --json\n"
                              "  mipp inspect --list\n");
  add_model_source_options(cmd, opt->source, /*with_file=*/true);
  cmd->add_flag("--json", opt->json, "machine-readable output on stdout");
  cmd->add_flag("--all", opt->all_nodes, "list every node, not only those with parameters or MACs");
  cmd->add_flag("--list", opt->list, "list the zoo models and exit");
  cmd->callback([opt, &global] {
    if (!opt->list && opt->source.file.empty() && opt->source.zoo_name.empty()) {
      throw CLI::RequiredError("a model file or --model NAME");
    }
    run_inspect(*opt, global);
  });
}

}  // namespace mipp::cli
