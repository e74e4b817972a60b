// mipp demo: the main job on the embedded default, Fashion-MNIST from Debian's package. Trains
// LeNet-5; prunes it with MIPP and with the strongest baseline the tool has (submodular selection
// with least-squares reweighting, best in most after-training cells of docs/RESULTS.md) to the same
// budget — by default half the MACs, the cost a user pays per image — from the same calibration
// images, and fine-tunes both the same way; writes the three models as TorchScript files, each read
// back and checked to score the same; prints accuracy beside the MACs and measured latency each
// saved.
#include <filesystem>
#include <iostream>
#include <fmt/ranges.h>

#include "commands.h"
#include "event_sinks.h"
#include "mipp/graph/cost.h"
#include "mipp/pipeline/prune_model.h"
#include "mipp/prune/method.h"
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
  double sparsity = 0.5;  // half the compute per image
  std::string target = "macs";
  std::string baseline = "submodular";
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
  double latency_1 = 0, latency_256 = 0;  // ms per batch
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

  // Both methods get the same budget (global ranking, min width 1), the same calibration images and
  // the same fine-tuning.
  const data::Dataset calibration = data::calibration_subset(
      data.train, opt.calib_samples, util::derive_seed(global.seed, "calibration"), /*with_labels=*/true);
  const std::string budget_text = fmt::format("{:.0f}% of the {}", 100 * opt.sparsity,
                                              opt.target == "macs" ? "MACs" : opt.target);
  train::TrainOptions ft = t;
  ft.epochs = opt.finetune_epochs;
  ft.optimizer.lr = 0.01;
  std::vector<Contender> contenders;
  int k = 4;
  for (const std::string& method : {std::string("mipp"), opt.baseline}) {
    pipeline::PruneOptions prune;
    prune.method = method;
    prune.budget.sparsity = opt.sparsity;
    prune.budget.target = opt.target;
    prune.seed = global.seed;
    const std::unique_ptr<prune::Method> m = prune::make_method(method);
    step(k++, fmt::format("pruning {} with {}, then fine-tuning {} epochs", budget_text, m->title(), ft.epochs));
    pipeline::PruneResult pruned =
        pipeline::prune_model(model, m->needs_data() ? &calibration : nullptr, &data.test, prune, *sink);
    Contender c{m->title(), std::move(pruned.pruned), pruned.report};
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
  const double dense_1 = latency(model.network, 1), dense_256 = latency(model.network, 256);
  for (Contender& c : contenders) {
    c.latency_1 = latency(c.model.network, 1);
    c.latency_256 = latency(c.model.network, 256);
  }
  const graph::Cost before = graph::total_cost(model.network);
  std::cout << fmt::format("\nLeNet-5 on {} ({} training images, seed {}, {} threads): both methods remove {}\n\n",
                           opt.data.dataset, data.train.size(), global.seed, threads, budget_text);
  const std::string row = "  {:<26} {:>7} {:>7} {:>8} {:>11} {:>11} {:>9} {:>9} {:>8}\n";
  std::cout << fmt::format(fmt::runtime(row), "", "params", "MACs", "MACs", "top-1 right", "top-1 after", "ms/batch",
                           "ms/batch", "faster");
  std::cout << fmt::format(fmt::runtime(row), "", "", "", "removed", "after prune", fmt::format("{} ep. ft", ft.epochs),
                           "of 1", "of 256", "(b. 256)");
  std::cout << fmt::format(fmt::runtime(row), fmt::format("dense, {} epochs", t.epochs), report::human_count(before.params),
                           report::human_count(before.macs), "", "", fmt::format("{:.2f}%", 100 * dense.top1),
                           fmt::format("{:.3f}", dense_1), fmt::format("{:.2f}", dense_256), "");
  for (const Contender& c : contenders) {
    const graph::Cost after = graph::total_cost(c.model.network);
    std::cout << fmt::format(
        fmt::runtime(row), c.label, report::human_count(after.params), report::human_count(after.macs),
        fmt::format("{:.1f}%", 100.0 * static_cast<double>(before.macs - after.macs) / static_cast<double>(before.macs)),
        fmt::format("{:.2f}%", 100 * c.right_after), fmt::format("{:.2f}%", 100 * c.tuned.top1),
        fmt::format("{:.3f}", c.latency_1), fmt::format("{:.2f}", c.latency_256),
        fmt::format("{:.2f}x", dense_256 / c.latency_256));
  }
  std::cout << fmt::format("\n  training {:.1f} s; both chose their units from the same {} training images\n",
                           trained.seconds, calibration.size());
  for (const Contender& c : contenders) {
    std::vector<std::string> widths;
    for (const auto& g : c.report.at("groups")) {
      widths.push_back(fmt::format("{} {}->{}", g.at("group").get<std::string>(), g.at("width_before").get<int64_t>(),
                                   g.at("width_after").get<int64_t>()));
    }
    const auto collapsed = c.report.at("collapsed_layers").get<std::vector<std::string>>();
    std::cout << fmt::format("  {}: {} in {:.1f} s; collapsed to the minimum width: {}\n", c.label,
                             fmt::join(widths, ", "), c.prune_seconds,
                             collapsed.empty() ? "none" : fmt::format("{}", fmt::join(collapsed, ", ")));
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
  CLI::App* cmd = add_command(app, "demo",
                              "the main job: train LeNet-5 on Fashion-MNIST, prune it with MIPP and with the strongest "
                              "baseline to the same MACs, fine-tune, compare accuracy, MACs and latency",
                              "Example:\n  mipp demo --out-dir /tmp/mipp-demo\n");
  cmd->add_option("--out-dir", opt->out_dir, "folder for the demo's files")->capture_default_str();
  cmd->add_option("--epochs", opt->epochs, "training epochs")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--sparsity", opt->sparsity, "fraction of the --target removed (both methods)")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  cmd->add_option("--target", opt->target, "what --sparsity measures: macs (per image), params or units")
      ->check(CLI::IsMember({"macs", "params", "units"}))
      ->capture_default_str();
  cmd->add_option("--baseline", opt->baseline,
                  "the method MIPP is compared with (any of `mipp prune --list-methods`; default: the best baseline "
                  "after training in most cells of docs/RESULTS.md)")
      ->check([](const std::string& name) {
        if (name == "mipp") return std::string("the baseline must be another method than mipp");
        for (const prune::MethodInfo& m : prune::method_list()) {
          if (m.name == name) return std::string();
        }
        return "unknown method '" + name + "' (see mipp prune --list-methods)";
      })
      ->capture_default_str();
  cmd->add_option("--finetune-epochs", opt->finetune_epochs, "fine-tuning epochs after pruning")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--calib-samples", opt->calib_samples, "training images both methods read to choose their units")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--data", opt->data.dir, "Fashion-MNIST folder (default: Debian's dataset-fashion-mnist)");
  cmd->add_option("--limit", opt->data.train_limit, "use only the first N training images (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opt, &global] { run_demo(*opt, global); });
}

}  // namespace mipp::cli
