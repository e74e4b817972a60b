// mipp demo: the main job on the embedded default, Fashion-MNIST from Debian's package. Trains
// LeNet-5, evaluates it on the test set, writes it as a TorchScript model file, reads the file back
// and checks it gives the same accuracy, then prints a summary and where the files are.
// Pruning joins the demo as it lands.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "event_sinks.h"
#include "mipp/graph/cost.h"
#include "mipp/report/layer_table.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

struct DemoOptions {
  std::string out_dir = "mipp-demo";
  int epochs = 10;
  pipeline::DataOptions data;
};

void run_demo(const DemoOptions& opt, const GlobalOptions& global) {
  const int threads = apply_global_options(global);
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  MIPP_CHECK(!ec, kIo, "--out-dir {}: cannot create: {}", opt.out_dir, ec.message());
  auto sink = make_event_sink(global.log_format, global.quiet);

  models::ModelSpec spec;
  spec.name = "lenet5";
  spec.seed = global.seed;
  const models::ModelSpec resolved = models::resolve(spec);
  io::Model model{models::build_model(resolved), fresh_metadata(resolved), {}};
  sink->message(util::LogLevel::kInfo, fmt::format("[1/4] loading {}", opt.data.dataset));
  const pipeline::PreparedData data = pipeline::prepare_data(opt.data, model.network.input_shape(), {});
  model.metadata.normalization = data.normalization;

  const std::string path = (std::filesystem::path(opt.out_dir) / "lenet5.pt").string();
  train::TrainOptions t;
  t.epochs = opt.epochs;
  t.seed = global.seed;
  t.checkpoint_path = path;
  sink->message(util::LogLevel::kInfo, fmt::format("[2/4] training lenet5 for {} epochs on {} samples, {} threads",
                                                   t.epochs, data.train.size(), threads));
  const train::TrainResult result = train::train(model, data.train, nullptr, t, *sink);
  if (result.cancelled) throw ExitRequest{130};

  sink->message(util::LogLevel::kInfo, "[3/4] evaluating on the test set");
  const train::EvalResult test = train::evaluate(model.network, data.test);
  sink->message(util::LogLevel::kInfo, fmt::format("[4/4] reloading {}", path));
  const io::Model loaded = io::load_model(path);
  const train::EvalResult reloaded = train::evaluate(loaded.network, data.test);
  if (reloaded.top1 != test.top1 || reloaded.loss != test.loss) {  // a bug in io::, not bad input
    throw std::logic_error(fmt::format("{}: the reloaded model scores {} instead of {}", path, reloaded.top1, test.top1));
  }

  const graph::Cost cost = graph::total_cost(model.network);
  std::cout << fmt::format("\nLeNet-5 on {} ({} training images, {} epochs, seed {}, {} threads)\n", opt.data.dataset,
                           data.train.size(), t.epochs, global.seed, threads);
  std::cout << fmt::format("  test top-1      {:.2f}%   (top-5 {:.2f}%, loss {:.4f}, {} images)\n", 100 * test.top1,
                           100 * test.top5, test.loss, test.samples);
  std::cout << fmt::format("  training time   {:.1f} s ({:.0f} images/s in the last epoch)\n", result.seconds,
                           result.epochs.back().at("samples_per_second").get<double>());
  std::cout << fmt::format("  model           {} parameters, {} MACs per image\n", report::human_count(cost.params),
                           report::human_count(cost.macs));
  std::cout << fmt::format("  model file      {} (reloaded: same accuracy)\n", path);
  std::cout << fmt::format("\nInspect it:       mipp inspect {}\nEvaluate it:      mipp eval {}\n", path, path);
  std::cout << fmt::format("Open it in Python: torch.jit.load(\"{}\")  (inputs normalised with mean {:.4f}, std {:.4f})\n",
                           path, data.normalization.mean.at(0), data.normalization.std.at(0));
  std::cout << "Pruning is not implemented yet; the demo will prune this model once it is.\n";
}

}  // namespace

void add_demo_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<DemoOptions>();
  CLI::App* cmd = add_command(app, "demo", "the main job: train and evaluate LeNet-5 on Fashion-MNIST",
                              "Example:\n  mipp demo --out-dir /tmp/mipp-demo\n");
  cmd->add_option("--out-dir", opt->out_dir, "folder for the demo's files")->capture_default_str();
  cmd->add_option("--epochs", opt->epochs, "training epochs")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--data", opt->data.dir, "Fashion-MNIST folder (default: Debian's dataset-fashion-mnist)");
  cmd->add_option("--limit", opt->data.train_limit, "use only the first N training images (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opt, &global] { run_demo(*opt, global); });
}

}  // namespace mipp::cli
