// mipp eval: top-1, top-5, loss and confusion counts of a model file on a dataset's test set.
#include <iostream>

#include "commands.h"
#include "event_sinks.h"
#include "mipp/train/evaluate.h"
#include "mipp/util/device.h"

namespace mipp::cli {

void add_eval_command(CLI::App& app, GlobalOptions& global) {
  struct EvalOptions {
    std::string file;
    std::string input_shape;
    pipeline::DataOptions data;
    int64_t batch_size = 1000;
    bool json = false;
  };
  auto opt = std::make_shared<EvalOptions>();
  CLI::App* cmd = add_command(app, "eval", "evaluate a model file on a dataset's test set",
                              "Example:\n  mipp eval lenet5.pt --dataset fashion-mnist --json\n"
                              "The model's stored normalisation is applied to the data.\n");
  cmd->add_option("file", opt->file, "model file (.pt), mipp's or a TorchScript file from PyTorch")->required();
  cmd->add_option("--input-shape", opt->input_shape, "per-sample input shape C,H,W of a PyTorch TorchScript file");
  add_data_options(cmd, opt->data, /*with_val_split=*/false, /*with_train_limit=*/false);
  default_to_models_dataset(cmd, opt->data);
  opt->data.test_only = true;  // only the test files are read
  cmd->add_option("--batch-size", opt->batch_size, "evaluation batch size (speed only)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--json", opt->json, "machine-readable output on stdout, with confusion counts");
  cmd->callback([opt, &global] {
    const int threads = apply_global_options(global);
    io::Model model = load_model_file(opt->file, opt->input_shape);
    model.network.to(run_device());
    use_models_dataset(opt->data, model.metadata);
    const pipeline::PreparedData data =
        pipeline::prepare_data(opt->data, model.network.input_shape(), model.metadata.normalization);
    auto sink = make_event_sink(global.log_format, global.quiet);
    const train::EvalResult r = train::evaluate(model.network, data.test, opt->batch_size, *sink);
    if (opt->json) {
      nlohmann::json j = {{"model", opt->file}, {"dataset", opt->data.dataset}, {"split", "test"},
                          {"result", r},        {"run", run_info(threads)}};
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << fmt::format("{} on {} test: top-1 {:.2f}%, top-5 {:.2f}%, loss {:.4f} ({} samples, {} threads, {})\n",
                             opt->file, opt->data.dataset, 100 * r.top1, 100 * r.top5, r.loss, r.samples, threads,
                             util::describe_device(run_device()));
  });
}

}  // namespace mipp::cli
