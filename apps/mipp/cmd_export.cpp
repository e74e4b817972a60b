// mipp export: write a freshly initialised zoo model as a model file (TorchScript .pt).
#include <iostream>

#include "commands.h"
#include "mipp/graph/cost.h"
#include "mipp/report/layer_table.h"

namespace mipp::cli {

void add_export_command(CLI::App& app, GlobalOptions& global) {
  struct ExportOptions {
    ModelSource source;
    std::string out;
  };
  auto opt = std::make_shared<ExportOptions>();
  CLI::App* cmd = add_command(app, "export", "write a freshly initialised zoo model as a TorchScript file",
                              "Example:\n  mipp export --model resnet20 --num-classes 100 --seed 3 --out resnet20.pt\n"
                              "The file opens in Python with torch.jit.load.\n");
  add_model_source_options(cmd, opt->source, /*with_file=*/false);
  cmd->get_option("--model")->required();
  cmd->add_option("--out", opt->out, "output model file (.pt)")->required();
  cmd->callback([opt, &global] {
    apply_global_options(global);
    const io::Model model = load_or_build(opt->source, global);
    io::save_model(opt->out, model.network, model.metadata);
    const graph::Cost cost = graph::total_cost(model.network);
    std::cerr << fmt::format("wrote {}: {} ({} params, {} MACs per sample, seed {})\n", opt->out,
                             model.metadata.architecture, report::human_count(cost.params),
                             report::human_count(cost.macs), global.seed);
  });
}

}  // namespace mipp::cli
