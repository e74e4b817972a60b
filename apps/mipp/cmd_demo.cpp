// mipp demo: the main job on the embedded default, Fashion-MNIST from Debian's package. Trains
// LeNet-5; prunes it with MIPP to 70% of its units removed and fine-tunes; prunes a copy with the
// magnitude baseline to the same sparsity and fine-tunes it the same way; writes the three models
// as TorchScript files, each read back and checked to score the same; prints a comparison with
// measured latency.
#include <filesystem>
#include <iostream>
#include <fmt/ranges.h>

#include "commands.h"
#include "event_sinks.h"
#include "mipp/graph/cost.h"
#include "mipp/pipeline/prune_model.h"
#include "mipp/report/latency.h"
#include "mipp/report/layer_table.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

struct DemoOptions {
  std::string out_dir = "mipp-demo";
  int epochs = 10;
  double sparsity = 0.7;
  int finetune_epochs = 2;
  int64_t calib_samples = 2048;
  pipeline::DataOptions data;
};

// One pruned model of the comparison.
struct Contender {
  std::string label;
  io::Model model;
  nlohmann::json report;
  double right_after = 0;
  train::EvalResult tuned;
  double prune_seconds = 0;
  std::string path;
};

// Saves, reloads and re-evaluates: the file must score exactly what the model in memory scores.
train::EvalResult save_and_check(const io::Model& model, const std::string& path, const data::Dataset& test,
                                 const train::EvalResult& expected) {
  io::save_model(path, model.network, model.metadata);
  graph::Network reloaded_network = io::load_model(path).network;
  reloaded_network.to(model.network.device());  // the same kernels as `expected`, so equal to the bit
  const train::EvalResult reloaded = train::evaluate(reloaded_network, test);
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
  constexpr int kSteps = 7;
  auto step = [&](int k, const std::string& text) {
    sink->message(util::LogLevel::kInfo, fmt::format("[{}/{}] {}", k, kSteps, text));
  };
  auto file = [&](const std::string& name) { return (std::filesystem::path(opt.out_dir) / name).string(); };

  models::ModelSpec spec;
  spec.name = "lenet5";
  spec.seed = global.seed;
  const models::ModelSpec resolved = models::resolve(spec);
  io::Model model{models::build_model(resolved), fresh_metadata(resolved), {}};
  model.network.to(run_device());
  step(1, fmt::format("loading {}", opt.data.dataset));
  const pipeline::PreparedData data = pipeline::prepare_data(opt.data, model.network.input_shape(), {});
  model.metadata.normalization = data.normalization;

  train::TrainOptions t;
  t.epochs = opt.epochs;
  t.seed = global.seed;
  step(2, fmt::format("training lenet5 for {} epochs on {} images, {} threads", t.epochs, data.train.size(), threads));
  const train::TrainResult trained = train::train(model, data.train, nullptr, t, *sink);
  if (trained.cancelled) throw ExitRequest{130};
  step(3, "evaluating on the test set, saving and reloading");
  const train::EvalResult dense = train::evaluate(model.network, data.test);
  const std::string dense_path = file("lenet5.pt");
  save_and_check(model, dense_path, data.test, dense);

  // Both methods get the same budget (global ranking, min width 1) and the same fine-tuning.
  const data::Dataset calibration = data::calibration_subset(
      data.train, opt.calib_samples, util::derive_seed(global.seed, "calibration"), /*with_labels=*/false);
  train::TrainOptions ft = t;
  ft.epochs = opt.finetune_epochs;
  ft.optimizer.lr = 0.01;
  std::vector<Contender> contenders;
  int k = 4;
  for (const std::string method : {"mipp", "magnitude"}) {
    pipeline::PruneOptions prune;
    prune.method = method;
    prune.budget.sparsity = opt.sparsity;
    prune.seed = global.seed;
    step(k++, fmt::format("pruning {:.0f}% of the units with {}, then fine-tuning {} epochs", 100 * opt.sparsity,
                          method, ft.epochs));
    pipeline::PruneResult pruned =
        pipeline::prune_model(model, method == "mipp" ? &calibration : nullptr, &data.test, prune, *sink);
    Contender c{method, std::move(pruned.pruned), pruned.report};
    c.right_after = c.report.at("accuracy_after").at("top1").get<double>();
    c.prune_seconds = c.report.at("score_seconds").get<double>();
    const train::TrainResult tuned = train::train(c.model, data.train, nullptr, ft, *sink);
    if (tuned.cancelled) throw ExitRequest{130};
    c.tuned = train::evaluate(c.model.network, data.test);
    c.path = file(fmt::format("lenet5-{}.pt", method));
    save_and_check(c.model, c.path, data.test, c.tuned);
    contenders.push_back(std::move(c));
  }

  step(kSteps, "measuring latency (median of 30 runs after warm-up, batch 1 and 256)");
  auto latency = [&](const graph::Network& net, int64_t batch) {
    report::LatencyOptions lo;
    lo.batch = batch;
    return report::measure_latency(net, lo).median_ms;
  };
  const graph::Cost before = graph::total_cost(model.network);
  std::cout << fmt::format("\nLeNet-5 on {} ({} training images, seed {}, {} threads)\n\n", opt.data.dataset,
                           data.train.size(), global.seed, threads);
  std::cout << fmt::format("  {:<30} {:>8} {:>8} {:>11} {:>11} {:>10} {:>11}\n", "", "params", "MACs", "top-1 right",
                           "top-1 after", "ms/batch", "ms/batch");
  std::cout << fmt::format("  {:<30} {:>8} {:>8} {:>11} {:>11} {:>10} {:>11}\n", "", "", "", "after prune",
                           fmt::format("{} ep. ft", ft.epochs), "of 1", "of 256");
  std::cout << fmt::format("  {:<30} {:>8} {:>8} {:>11} {:>10.2f}% {:>10.3f} {:>11.2f}\n",
                           fmt::format("dense, {} epochs", t.epochs), report::human_count(before.params),
                           report::human_count(before.macs), "", 100 * dense.top1, latency(model.network, 1),
                           latency(model.network, 256));
  for (const Contender& c : contenders) {
    const graph::Cost after = graph::total_cost(c.model.network);
    std::cout << fmt::format("  {:<30} {:>8} {:>8} {:>10.2f}% {:>10.2f}% {:>10.3f} {:>11.2f}\n",
                             fmt::format("{}, {:.0f}% units removed", c.label, 100 * opt.sparsity),
                             report::human_count(after.params), report::human_count(after.macs), 100 * c.right_after,
                             100 * c.tuned.top1, latency(c.model.network, 1), latency(c.model.network, 256));
  }
  std::cout << fmt::format("\n  training {:.1f} s; mipp chose its units in {:.1f} s from {} unlabelled images\n",
                           trained.seconds, contenders[0].prune_seconds, calibration.size());
  for (const Contender& c : contenders) {
    std::vector<std::string> widths;
    for (const auto& g : c.report.at("groups")) {
      widths.push_back(fmt::format("{} {}->{}", g.at("group").get<std::string>(), g.at("width_before").get<int64_t>(),
                                   g.at("width_after").get<int64_t>()));
    }
    std::cout << fmt::format("  {:<10} widths: {}\n", c.label, fmt::join(widths, ", "));
  }
  std::cout << fmt::format("\nModel files: {}, {}, {} (all reloaded: same accuracy)\n", dense_path,
                           contenders[0].path, contenders[1].path);
  std::cout << fmt::format("Inspect:     mipp inspect {}\nEvaluate:    mipp eval {}\n", contenders[0].path,
                           contenders[0].path);
  std::cout << fmt::format("In Python:   torch.jit.load(\"{}\")  (inputs normalised: mean {:.4f}, std {:.4f})\n",
                           contenders[0].path, data.normalization.mean.at(0), data.normalization.std.at(0));
}

}  // namespace

void add_demo_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<DemoOptions>();
  CLI::App* cmd = add_command(app, "demo", "the main job: train LeNet-5 on Fashion-MNIST, prune it with MIPP and with magnitude, fine-tune, compare",
                              "Example:\n  mipp demo --out-dir /tmp/mipp-demo\n");
  cmd->add_option("--out-dir", opt->out_dir, "folder for the demo's files")->capture_default_str();
  cmd->add_option("--epochs", opt->epochs, "training epochs")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--sparsity", opt->sparsity, "fraction of the units removed (both methods)")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  cmd->add_option("--finetune-epochs", opt->finetune_epochs, "fine-tuning epochs after pruning")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--calib-samples", opt->calib_samples, "unlabelled training images MIPP reads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--data", opt->data.dir, "Fashion-MNIST folder (default: Debian's dataset-fashion-mnist)");
  cmd->add_option("--limit", opt->data.train_limit, "use only the first N training images (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opt, &global] { run_demo(*opt, global); });
}

}  // namespace mipp::cli
