// mipp export: write a freshly initialised zoo model, or an imported PyTorch model, as a mipp model
// file (TorchScript .pt).
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
  CLI::App* cmd = add_command(app, "export", "write a freshly initialised zoo model, or an imported PyTorch model, as a model file",
                              "Examples:\n  mipp export --model resnet20 --num-classes 100 --seed 3 --out resnet20.pt\n"
                              "  mipp export resnet18_scripted.pt --input-shape 3,224,224 --out resnet18.pt   (import)\n"
                              "The file opens in Python with torch.jit.load.\n");
  add_model_source_options(cmd, opt->source, /*with_file=*/true);
  cmd->add_option("--out", opt->out, "output model file (.pt)")->required();
  cmd->callback([opt, &global] {
    if (opt->source.file.empty() && opt->source.zoo_name.empty()) throw CLI::RequiredError("a model file or --model NAME");
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
