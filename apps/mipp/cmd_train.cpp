// mipp train: train a zoo model (or continue a model file) on a dataset and write the model file.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "event_sinks.h"
#include "local_ranks.h"
#include "mipp/dist/process_group.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/device.h"
#include "mipp/util/error.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"

namespace mipp::cli {

namespace {

struct TrainCommandOptions {
  ModelSource source;
  pipeline::DataOptions data;
  train::TrainOptions train;
  std::string milestones;
  std::string out;
  bool json = false;
  int nproc = 1;
  bool local_batch_norm_stats = false;
};

void run_train(TrainCommandOptions opt, const GlobalOptions& global) {
  start_local_ranks_if_asked(opt.nproc, opt.train.batch_size);
  const int threads = apply_global_options(global, /*data_parallel=*/true);
  opt.train.average_batch_norm_stats = !opt.local_batch_norm_stats;
  if (!opt.milestones.empty()) {
    for (int64_t m : parse_int_list(opt.milestones, "--milestones")) opt.train.schedule.milestones.push_back(static_cast<int>(m));
  }
  opt.train.seed = global.seed;
  opt.train.checkpoint_path = opt.out;
  opt.data.seed = global.seed;
  train::validate(opt.train);  // before any data is read

  util::check_writable(opt.out, "--out");
  io::Model model = load_or_build(opt.source, global);
  model.network.to(run_device());
  // Resuming continues on the data the checkpoint was trained on.
  const bool resuming = opt.train.resume && std::filesystem::exists(opt.out);
  use_models_dataset(opt.data, resuming ? io::load_model(opt.out).metadata : model.metadata);
  record_dataset(model.metadata, opt.data);
  if (opt.train.checkpoint_every_epoch) {
    set_resume_hint(opt.out, fmt::format("{} keeps the last finished epoch: rerun with --resume to continue", opt.out));
  }
  auto sink = make_event_sink(global.log_format, global.quiet);  // rank 0's progress only
  sink->message(util::LogLevel::kInfo, fmt::format("loading {}", opt.data.dataset));
  const pipeline::PreparedData data =
      pipeline::prepare_data(opt.data, model.network.input_shape(), model.metadata.normalization);
  model.metadata.normalization = data.normalization;
  sink->message(util::LogLevel::kInfo,
                fmt::format("training {} on {} samples ({} held out), {} epochs, {} threads, {}{}",
                            model.metadata.architecture, data.train.size(), data.val.size(), opt.train.epochs, threads,
                            util::describe_device(run_device()),
                            dist::world_size() > 1 ? fmt::format(", {} ranks", dist::world_size()) : ""));

  const train::TrainResult result =
      train::train(model, data.train, data.val.size() > 0 ? &data.val : nullptr, opt.train, *sink);
  if (result.cancelled) {
    // Epoch checkpoints exist only with --checkpoint-every-epoch, once an epoch has finished.
    const bool resumable = opt.train.checkpoint_every_epoch && !result.epochs.empty() && std::filesystem::exists(opt.out);
    sink->message(util::LogLevel::kWarn,
                  resumable ? fmt::format("interrupted; {} keeps the last finished epoch: rerun with --resume to continue",
                                          opt.out)
                            : std::string("interrupted; nothing was written"));
    throw ExitRequest{130};
  }
  const train::EvalResult test = train::evaluate(model.network, data.test, opt.train.eval_batch_size, *sink);
  if (!dist::is_main()) return;
  if (opt.json) {
    nlohmann::json j = {{"model", opt.out},
                        {"architecture", model.metadata.architecture},
                        {"dataset", opt.data.dataset},
                        {"epochs", result.epochs},
                        {"resumed_from_epoch", result.resumed_from_epoch},
                        {"test", test},
                        {"seconds", result.seconds},
                        {"run", run_info(threads)}};
    j["test"].erase("confusion");
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} on {}: test top-1 {:.2f}%, top-5 {:.2f}%, loss {:.4f} ({} samples)\n",
                           model.metadata.architecture, opt.data.dataset, 100 * test.top1, 100 * test.top5, test.loss,
                           test.samples);
  std::cout << fmt::format("trained {} epochs in {:.1f} s with {} threads; wrote {}\n",
                           opt.train.epochs - result.resumed_from_epoch, result.seconds, threads, opt.out);
  if (!result.epochs.empty() && result.epochs.back().contains("zero_units")) {
    const double zero = result.epochs.back().at("zero_units").get<double>();
    std::cout << fmt::format("group sparsity: {:.2f}% of the units are zero ({:.2f}% asked); `mipp prune {} --method "
                             "oto --sparsity {}` removes them{}\n",
                             100 * zero, 100 * opt.train.group_sparsity.target, opt.out, opt.train.group_sparsity.target,
                             zero + 1e-9 < opt.train.group_sparsity.target
                                 ? " and the smallest others (short of the target: raise --group-lambda or train longer)"
                                 : "");
  }
}

// `train` and `finetune` share every option; finetune starts from a model file (a pruned one,
// typically) rather than a zoo model.
void add_training_command(CLI::App& app, GlobalOptions& global, const std::string& name, bool model_file_only) {
  auto opt = std::make_shared<TrainCommandOptions>();
  train::TrainOptions& t = opt->train;
  const std::string description = model_file_only ? "fine-tune a model file (a pruned one) on a dataset"
                                                  : "train a model on a dataset and write it as a model file";
  const std::string examples =
      model_file_only
          ? "Example:\n  mipp finetune pruned.pt --dataset fashion-mnist --epochs 2 --lr 0.01 --out pruned-ft.pt\n"
          : "Examples:\n  mipp train --model lenet5 --dataset fashion-mnist --epochs 10 --seed 1 --out lenet5.pt\n"
            "  mipp train --model resnet20 --dataset cifar10 --data DIR --augment --epochs 160 --out r20.pt "
            "--checkpoint-every-epoch\n  (interrupted? the same command with --resume continues it)\n"
            "  mipp train --model vgg11 --dataset cifar10 --data DIR --nproc 2 --out v.pt     (2 local ranks)\n"
            "  torchrun --no-python --nnodes 2 --nproc-per-node 4 ... mipp train ...          (8 ranks)\n";
  CLI::App* cmd = add_command(app, name, description, examples);
  if (model_file_only) {
    cmd->add_option("file", opt->source.file, "model file (.pt) to fine-tune, mipp's or a PyTorch TorchScript file")
        ->required();
    cmd->add_option("--input-shape", opt->source.input_shape,
                    "per-sample input shape C,H,W of a PyTorch TorchScript file");
  } else {
    add_model_source_options(cmd, opt->source, /*with_file=*/true);
  }
  add_data_options(cmd, opt->data, /*with_val_split=*/true);
  default_to_models_dataset(cmd, opt->data);
  cmd->add_option("--out", opt->out, "output model file (.pt); also the checkpoint")->required();
  cmd->add_option("--epochs", t.epochs, "epochs")->capture_default_str();
  cmd->add_option("--batch-size", t.batch_size, "mini-batch size")->capture_default_str();
  cmd->add_option("--optimizer", t.optimizer.name, "sgd or adam")->capture_default_str();
  cmd->add_option("--lr", t.optimizer.lr, "base learning rate")->capture_default_str();
  cmd->add_option("--momentum", t.optimizer.momentum, "sgd momentum")->capture_default_str();
  cmd->add_flag("--nesterov", t.optimizer.nesterov, "sgd: Nesterov momentum");
  cmd->add_option("--weight-decay", t.optimizer.weight_decay, "L2 weight decay")->capture_default_str();
  cmd->add_option("--schedule", t.schedule.name, "constant, step, multistep or cosine")->capture_default_str();
  cmd->add_option("--step-size", t.schedule.step_size, "step schedule: epochs between decays")->capture_default_str();
  cmd->add_option("--gamma", t.schedule.gamma, "step/multistep decay factor")->capture_default_str();
  cmd->add_option("--milestones", opt->milestones, "multistep: epochs where the rate decays, e.g. 80,120");
  cmd->add_option("--label-smoothing", t.label_smoothing, "label smoothing in [0, 1)")->capture_default_str();
  cmd->add_flag("--augment", t.augment, "random crop (padding 4) and horizontal flip");
  cmd->add_option("--group-sparsity", t.group_sparsity.target,
                  "OTO: drive this fraction of the units to exactly zero while training (0 = off); then "
                  "`mipp prune --method oto --sparsity S` removes them")
      ->capture_default_str();
  cmd->add_option("--group-lambda", t.group_sparsity.lambda, "OTO: the group-lasso weight on the units to zero")
      ->capture_default_str();
  cmd->add_option("--group-min-width", t.group_sparsity.min_width, "OTO: units every layer keeps non-zero")
      ->capture_default_str();
  cmd->add_option("--group-epsilon", t.group_sparsity.epsilon,
                  "OTO: half-space margin in [0, 1): a unit to zero is set to zero once a step shrinks it along "
                  "itself by more than 1 - epsilon")
      ->capture_default_str();
  cmd->add_flag("--checkpoint-every-epoch", t.checkpoint_every_epoch, "write --out after every epoch");
  cmd->add_flag("--resume", t.resume, "continue from the checkpoint in --out when it exists");
  cmd->add_flag("--json", opt->json, "machine-readable summary on stdout");
  cmd->add_option("--nproc", opt->nproc,
                  "data-parallel: start N ranks on this machine; the same as torchrun --no-python "
                  "--nproc-per-node N mipp ...")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_flag("--local-batch-norm-stats", opt->local_batch_norm_stats,
                "data-parallel: keep rank 0's batch-norm running statistics instead of averaging the ranks' after "
                "every epoch");
  cmd->callback([opt, &global] {
    if (opt->source.file.empty() && opt->source.zoo_name.empty()) {
      throw CLI::RequiredError("a model file or --model NAME");
    }
    run_train(*opt, global);
  });
}

}  // namespace

void add_train_command(CLI::App& app, GlobalOptions& global) {
  add_training_command(app, global, "train", /*model_file_only=*/false);
  add_training_command(app, global, "finetune", /*model_file_only=*/true);
}

}  // namespace mipp::cli
