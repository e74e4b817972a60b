// mipp demo: the main job on the embedded default, Fashion-MNIST from Debian's package. Trains
// LeNet-5, prunes half of every layer's units, fine-tunes the smaller model, and writes both as
// TorchScript model files, each read back and checked to score the same; then prints a comparison.
// The demo prunes with the magnitude baseline until MIPP lands.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "event_sinks.h"
#include "mipp/graph/cost.h"
#include "mipp/pipeline/prune_model.h"
#include "mipp/report/layer_table.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

struct DemoOptions {
  std::string out_dir = "mipp-demo";
  int epochs = 10;
  double sparsity = 0.5;
  int finetune_epochs = 2;
  pipeline::DataOptions data;
};

// Saves, reloads and re-evaluates: the file must score exactly what the model in memory scores.
train::EvalResult save_and_check(const io::Model& model, const std::string& path, const data::Dataset& test,
                                 const train::EvalResult& expected) {
  io::save_model(path, model.network, model.metadata);
  const train::EvalResult reloaded = train::evaluate(io::load_model(path).network, test);
  if (reloaded.top1 != expected.top1 || reloaded.loss != expected.loss) {  // a bug in io::, not bad input
    throw std::logic_error(fmt::format("{}: the reloaded model scores {} instead of {}", path, reloaded.top1,
                                       expected.top1));
  }
  return reloaded;
}

void run_demo(const DemoOptions& opt, const GlobalOptions& global) {
  const int threads = apply_global_options(global);
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  MIPP_CHECK(!ec, kIo, "--out-dir {}: cannot create: {}", opt.out_dir, ec.message());
  auto sink = make_event_sink(global.log_format, global.quiet);
  auto step = [&](int k, const std::string& text) {
    sink->message(util::LogLevel::kInfo, fmt::format("[{}/6] {}", k, text));
  };

  models::ModelSpec spec;
  spec.name = "lenet5";
  spec.seed = global.seed;
  const models::ModelSpec resolved = models::resolve(spec);
  io::Model model{models::build_model(resolved), fresh_metadata(resolved), {}};
  step(1, fmt::format("loading {}", opt.data.dataset));
  const pipeline::PreparedData data = pipeline::prepare_data(opt.data, model.network.input_shape(), {});
  model.metadata.normalization = data.normalization;

  const std::string dense_path = (std::filesystem::path(opt.out_dir) / "lenet5.pt").string();
  train::TrainOptions t;
  t.epochs = opt.epochs;
  t.seed = global.seed;
  step(2, fmt::format("training lenet5 for {} epochs on {} images, {} threads", t.epochs, data.train.size(), threads));
  const train::TrainResult trained = train::train(model, data.train, nullptr, t, *sink);
  if (trained.cancelled) throw ExitRequest{130};
  step(3, "evaluating on the test set, saving and reloading");
  const train::EvalResult dense = train::evaluate(model.network, data.test);
  save_and_check(model, dense_path, data.test, dense);

  pipeline::PruneOptions prune;
  prune.method = "magnitude";
  prune.budget.sparsity = opt.sparsity;
  prune.budget.scope = "layer";
  prune.seed = global.seed;
  step(4, fmt::format("pruning {:.0f}% of the units of every layer (magnitude)", 100 * opt.sparsity));
  pipeline::PruneResult pruned = pipeline::prune_model(model, nullptr, &data.test, prune, *sink);
  const double right_after = pruned.report.at("accuracy_after").at("top1").get<double>();

  const std::string pruned_path = (std::filesystem::path(opt.out_dir) / "lenet5-pruned.pt").string();
  train::TrainOptions ft = t;
  ft.epochs = opt.finetune_epochs;
  ft.optimizer.lr = 0.01;
  step(5, fmt::format("fine-tuning the pruned model for {} epochs", ft.epochs));
  const train::TrainResult tuned = train::train(pruned.pruned, data.train, nullptr, ft, *sink);
  if (tuned.cancelled) throw ExitRequest{130};
  step(6, "evaluating, saving and reloading the pruned model");
  const train::EvalResult small = train::evaluate(pruned.pruned.network, data.test);
  save_and_check(pruned.pruned, pruned_path, data.test, small);

  const graph::Cost before = graph::total_cost(model.network), after = graph::total_cost(pruned.pruned.network);
  std::cout << fmt::format("\nLeNet-5 on {} ({} training images, seed {}, {} threads)\n\n", opt.data.dataset,
                           data.train.size(), global.seed, threads);
  std::cout << fmt::format("  {:<34} {:>9} {:>9} {:>10}\n", "", "params", "MACs", "test top-1");
  std::cout << fmt::format("  {:<34} {:>9} {:>9} {:>9.2f}%\n", fmt::format("dense, {} epochs", t.epochs),
                           report::human_count(before.params), report::human_count(before.macs), 100 * dense.top1);
  std::cout << fmt::format("  {:<34} {:>9} {:>9} {:>9.2f}%\n",
                           fmt::format("{:.0f}% units removed (magnitude)", 100 * opt.sparsity),
                           report::human_count(after.params), report::human_count(after.macs), 100 * right_after);
  std::cout << fmt::format("  {:<34} {:>9} {:>9} {:>9.2f}%\n", fmt::format("  + fine-tuned {} epochs", ft.epochs), "",
                           "", 100 * small.top1);
  std::cout << fmt::format("\n  training {:.1f} s, fine-tuning {:.1f} s; {:.2f}x fewer params, {:.2f}x fewer MACs\n",
                           trained.seconds, tuned.seconds, static_cast<double>(before.params) / after.params,
                           static_cast<double>(before.macs) / after.macs);
  std::cout << fmt::format("\nModel files: {} and {} (both reloaded: same accuracy)\n", dense_path, pruned_path);
  std::cout << fmt::format("Inspect:     mipp inspect {}\nEvaluate:    mipp eval {}\n", pruned_path, pruned_path);
  std::cout << fmt::format("In Python:   torch.jit.load(\"{}\")  (inputs normalised: mean {:.4f}, std {:.4f})\n",
                           pruned_path, data.normalization.mean.at(0), data.normalization.std.at(0));
  std::cout << "MIPP itself is not implemented yet; the demo prunes with the magnitude baseline for now.\n";
}

}  // namespace

void add_demo_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<DemoOptions>();
  CLI::App* cmd = add_command(app, "demo", "the main job: train, prune and fine-tune LeNet-5 on Fashion-MNIST",
                              "Example:\n  mipp demo --out-dir /tmp/mipp-demo\n");
  cmd->add_option("--out-dir", opt->out_dir, "folder for the demo's files")->capture_default_str();
  cmd->add_option("--epochs", opt->epochs, "training epochs")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--sparsity", opt->sparsity, "fraction of each layer's units removed")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  cmd->add_option("--finetune-epochs", opt->finetune_epochs, "fine-tuning epochs after pruning")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--data", opt->data.dir, "Fashion-MNIST folder (default: Debian's dataset-fashion-mnist)");
  cmd->add_option("--limit", opt->data.train_limit, "use only the first N training images (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opt, &global] { run_demo(*opt, global); });
}

}  // namespace mipp::cli
