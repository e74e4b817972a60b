#include "mipp/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <ATen/core/Reduction.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/randperm.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <fmt/ranges.h>

#include "mipp/data/transforms.h"
#include "mipp/dist/process_group.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/forward.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/group_sparsity.h"
#include "mipp/util/error.h"
#include "mipp/util/memory.h"
#include "mipp/util/seed.h"

namespace mipp::train {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

at::Generator generator(uint64_t seed, const std::string& stage) {
  return at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(seed, stage));
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<at::Tensor>& params,
                                                        const OptimizerOptions& o) {
  if (o.name == "adam") {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      params,
      torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
}

std::string save_optimizer(torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void load_optimizer(torch::optim::Optimizer& optimizer, const std::string& bytes, c10::Device device) {
  torch::serialize::InputArchive archive;
  std::istringstream in(bytes);
  archive.load_from(in, device);  // the state (momenta) lives where the parameters do
  optimizer.load(archive);
}

// The options that must agree between a checkpoint and the run resuming it (epochs may grow).
json resume_key(const TrainOptions& o) {
  json j = o;
  j.erase("epochs");
  return j;
}

void check_fits(const graph::Network& net, const data::Dataset& d) {
  data::validate(d, d.name);
  MIPP_CHECK(d.labels.defined(), kInvalidArgument, "dataset {}: training needs labels", d.name);
  MIPP_CHECK(d.sample_shape() == net.input_shape(), kInvalidArgument,
             "dataset {} has samples [{}]; the model expects [{}]", d.name, fmt::join(d.sample_shape(), ", "),
             fmt::join(net.input_shape(), ", "));
  MIPP_CHECK(d.num_classes <= net.output_shape().front(), kInvalidArgument,
             "dataset {} has {} classes; the model outputs {}", d.name, d.num_classes, net.output_shape().front());
  MIPP_CHECK(d.size() > 0, kInvalidArgument, "dataset {} is empty", d.name);
}

// "--lr 0.1 in the checkpoint, 0.05 now" for the first option that differs (and how many others).
// Option names follow the JSON keys of TrainOptions (batch_size -> --batch-size).
std::string describe_difference(const json& saved, const json& now) {
  std::vector<std::string> differences;
  for (const json& change : json::diff(saved, now)) {
    const json::json_pointer where(change.at("path").get<std::string>());
    std::string option = where.back();
    std::replace(option.begin(), option.end(), '_', '-');
    const std::string was = saved.contains(where) ? saved.at(where).dump() : "unset";
    const std::string is = now.contains(where) ? now.at(where).dump() : "unset";
    differences.push_back(fmt::format("--{} {} in the checkpoint, {} now", option, was, is));
  }
  if (differences.empty()) return "no difference";
  return differences.size() == 1 ? differences.front()
                                 : fmt::format("{} (and {} more)", differences.front(), differences.size() - 1);
}

// Restores weights, optimiser state and progress from a checkpoint of the same architecture,
// trained on the same dataset with the same options.
int restore_checkpoint(io::Model& model, torch::optim::Optimizer& optimizer, const TrainOptions& options,
                       const std::string& dataset, json& records, GroupSparsity* sparsity) {
  const std::string& path = options.checkpoint_path;
  io::Model ck = io::load_model(path, {kTrainStateEntry, kOptimizerEntry});
  MIPP_CHECK(ck.extra.count(kTrainStateEntry) && ck.extra.count(kOptimizerEntry), kInvalidArgument,
             "--resume: {} holds no training state (it is a finished model or not a checkpoint)", path);
  MIPP_CHECK(ck.metadata.dataset.empty() || ck.metadata.dataset == dataset, kInvalidArgument,
             "--resume: {} was trained on {}, this run reads {}", path, ck.metadata.dataset, dataset);
  const json state = json::parse(ck.extra.at(kTrainStateEntry));
  MIPP_CHECK(state.at("options_key") == resume_key(options), kInvalidArgument,
             "--resume: {} was trained with other options: {}; use the same ones or drop --resume", path,
             describe_difference(state.at("options_key"), resume_key(options)));
  const auto mine = model.network.named_parameters(), theirs = ck.network.named_parameters();
  bool same = mine.size() == theirs.size() && model.network.named_buffers().size() == ck.network.named_buffers().size();
  for (size_t i = 0; same && i < mine.size(); ++i) {
    same = mine[i].first == theirs[i].first && mine[i].second.sizes() == theirs[i].second.sizes();
  }
  MIPP_CHECK(same, kInvalidArgument, "--resume: {} holds a different architecture from the model being trained", path);

  // Copy in place: the optimiser holds the network's own tensors.
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < mine.size(); ++i) mine[i].second.copy_(theirs[i].second);
  const auto buffers = model.network.named_buffers(), their_buffers = ck.network.named_buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].second.copy_(their_buffers[i].second);
  load_optimizer(optimizer, ck.extra.at(kOptimizerEntry), model.network.device());
  records = state.at("records");
  if (sparsity != nullptr) sparsity->restore(state.at("group_sparsity"));
  model.metadata.history = ck.metadata.history;
  return state.at("epochs_done").get<int>();
}

void write_checkpoint(const io::Model& model, torch::optim::Optimizer& optimizer, const TrainOptions& options,
                      const json& records, int epochs_done, const GroupSparsity* sparsity) {
  json state = {{"epochs_done", epochs_done}, {"records", records}, {"options_key", resume_key(options)}};
  if (sparsity != nullptr) state["group_sparsity"] = sparsity->state();
  io::save_model(options.checkpoint_path, model.network, model.metadata,
                 {{kTrainStateEntry, state.dump()}, {kOptimizerEntry, save_optimizer(optimizer)}});
}


// A sub-seed per rank for what each rank draws on its own share (augmentation, dropout); a run of
// one keeps the single-process names, so its results do not depend on data parallelism existing.
std::string per_rank(const std::string& stage) {
  return dist::world_size() == 1 ? stage : fmt::format("{}/rank{}", stage, dist::rank());
}

// Sums the gradients of all ranks (each rank's loss is already divided by the global batch size,
// so the sum is the gradient of the global batch's mean loss), plus `extra` (per-batch counters),
// in buckets of about 25 MiB as PyTorch's DistributedDataParallel: one collective per bucket
// rather than per tensor.
void all_reduce_gradients(const std::vector<at::Tensor>& params, at::Tensor& extra) {
  constexpr int64_t kBucketBytes = 25 << 20;
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : params) {
    // A rank with no rows in a last, short batch has no gradient: it contributes zeros.
    if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
    grads.push_back(p.grad());
  }
  size_t first = 0;
  while (first < grads.size()) {
    size_t last = first;
    int64_t bytes = 0;
    while (last < grads.size() && (last == first || bytes + grads[last].nbytes() <= kBucketBytes)) {
      bytes += grads[last].nbytes();
      ++last;
    }
    std::vector<at::Tensor> pieces;
    for (size_t i = first; i < last; ++i) pieces.push_back(grads[i].reshape(-1));
    at::Tensor flat = at::cat(pieces);
    dist::all_reduce_sum(flat);
    int64_t offset = 0;
    for (size_t i = first; i < last; ++i) {
      grads[i].copy_(flat.narrow(0, offset, grads[i].numel()).view_as(grads[i]));
      offset += grads[i].numel();
    }
    first = last;
  }
  dist::all_reduce_sum(extra);
}

// Averages the batch-norm running statistics over the ranks (TrainOptions::average_batch_norm_stats).
void average_buffers(graph::Network& net) {
  if (dist::world_size() == 1) return;
  std::vector<at::Tensor> buffers;
  for (auto& [name, b] : net.named_buffers()) buffers.push_back(b);
  dist::all_reduce_sum(buffers);
  for (at::Tensor& b : buffers) b.div_(dist::world_size());
}

// Every rank starts from rank 0's weights (as DistributedDataParallel does), whatever each loaded.
void start_from_rank0(graph::Network& net) {
  if (dist::world_size() == 1) return;
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (auto& [name, t] : net.named_parameters()) tensors.push_back(t);
  for (auto& [name, t] : net.named_buffers()) tensors.push_back(t);
  dist::broadcast_from_rank0(tensors);
}

}  // namespace

TrainResult train(io::Model& model, const data::Dataset& train_set, const data::Dataset* val_set,
                  const TrainOptions& options, util::EventSink& sink) {
  validate(options);
  graph::Network& net = model.network;
  check_fits(net, train_set);
  if (net.device().is_cpu()) {
    const int64_t batch = std::min(options.batch_size, train_set.size());
    util::check_memory(graph::training_memory_bytes(net, batch), fmt::format("training at batch {}", batch),
                       "use a smaller --batch-size");
  }
  if (val_set != nullptr) check_fits(net, *val_set);
  const auto start_time = Clock::now();
  const c10::Device device = net.device();
  const int ranks = dist::world_size();

  start_from_rank0(net);
  std::vector<at::Tensor> params;
  for (auto& [name, p] : net.named_parameters()) params.push_back(p.requires_grad_(true));
  auto optimizer = make_optimizer(params, options.optimizer);
  std::optional<GroupSparsity> group_sparsity;  // OTO's steps on top of the optimiser's
  if (options.group_sparsity.target > 0) group_sparsity.emplace(net, options.group_sparsity);
  GroupSparsity* const sparsity = group_sparsity ? &*group_sparsity : nullptr;

  TrainResult result;
  if (options.resume && std::filesystem::exists(options.checkpoint_path)) {
    result.resumed_from_epoch =
        restore_checkpoint(model, *optimizer, options, train_set.name, result.epochs, sparsity);
    sink.message(util::LogLevel::kInfo, fmt::format("resumed from {} after epoch {}", options.checkpoint_path,
                                                    result.resumed_from_epoch));
  }

  const int64_t n = train_set.size();
  const int64_t batches = (n + options.batch_size - 1) / options.batch_size;
  for (int epoch = result.resumed_from_epoch; epoch < options.epochs && !result.cancelled; ++epoch) {
    const auto epoch_start = Clock::now();
    const double lr = learning_rate(options.schedule, options.optimizer.lr, epoch, options.epochs);
    for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
    // The order is the same for every world size: ranks split each global batch of it.
    const at::Tensor order = at::randperm(n, generator(options.seed, fmt::format("order/{}", epoch)), at::kLong);
    at::Generator augment_gen = generator(options.seed, per_rank(fmt::format("augment/{}", epoch)));
    graph::ForwardOptions forward_options;
    forward_options.training = true;
    forward_options.generator = generator(options.seed, per_rank(fmt::format("dropout/{}", epoch)));

    sink.stage_begin(fmt::format("epoch {}/{}", epoch + 1, options.epochs), batches);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t global_count = std::min(options.batch_size, n - b * options.batch_size);
      const dist::Share share = dist::my_share(global_count);  // this rank's rows of the global batch
      const int64_t begin = b * options.batch_size + share.first, count = share.count;
      optimizer->zero_grad();
      double batch_loss_sum = 0;  // this rank's rows
      int64_t batch_correct = 0;
      if (count > 0) {
        const at::Tensor idx = order.narrow(0, begin, count);
        at::Tensor x = data::inputs_at(train_set, idx);
        at::Tensor y = train_set.labels.index_select(0, idx);
        if (options.augment) x = data::random_crop_flip(x, augment_gen);
        if (device.is_cuda()) {  // page-locked host memory lets the copy overlap the previous step
          x = x.pin_memory();
          y = y.pin_memory();
        }
        y = y.to(device, /*non_blocking=*/true);
        const at::Tensor logits = graph::forward(net, x, forward_options).output;
        // One process: the mean loss. Several: this rank's share of the global batch's mean, so
        // that summing the ranks' gradients gives the global batch's gradient.
        const at::Tensor loss =
            ranks == 1 ? at::cross_entropy_loss(logits, y, {}, at::Reduction::Mean, -100, options.label_smoothing)
                       : at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum, -100, options.label_smoothing) /
                             static_cast<double>(global_count);
        loss.backward();
        batch_loss_sum = loss.item<double>() * static_cast<double>(ranks == 1 ? count : global_count);
        batch_correct = logits.argmax(1).eq(y).sum().item<int64_t>();
      }
      // Every rank must take the same decisions (stop, diverged), so they are reduced with the
      // gradients: [loss summed over rows, correct rows, ranks asking to stop].
      const bool stop = !sink.progress(b + 1, batches);
      if (ranks > 1) {
        at::Tensor extra = at::tensor(std::vector<double>{batch_loss_sum, static_cast<double>(batch_correct),
                                                          stop ? 1.0 : 0.0}, at::kDouble);
        all_reduce_gradients(params, extra);
        const auto e = extra.accessor<double, 1>();
        batch_loss_sum = e[0];
        batch_correct = static_cast<int64_t>(e[1]);
        result.cancelled = e[2] > 0;
      } else {
        result.cancelled = stop;
      }
      const double batch_loss = batch_loss_sum / static_cast<double>(global_count);
      MIPP_CHECK(std::isfinite(batch_loss), kNumerical,
                 "training diverged: loss is {} in epoch {}, batch {} (lower the learning rate {})", batch_loss,
                 epoch + 1, b + 1, options.optimizer.lr);
      if (sparsity) sparsity->before_step();
      optimizer->step();
      if (sparsity) sparsity->after_step(lr);
      loss_sum += batch_loss_sum;
      correct += batch_correct;
      if (result.cancelled) break;
    }
    sink.stage_end();
    if (result.cancelled) break;
    if (options.average_batch_norm_stats) average_buffers(net);

    const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    json record = {{"event", "epoch"},
                   {"epoch", epoch + 1},
                   {"epochs", options.epochs},
                   {"lr", lr},
                   {"train_loss", loss_sum / static_cast<double>(n)},
                   {"train_top1", static_cast<double>(correct) / static_cast<double>(n)},
                   {"seconds", seconds},
                   {"samples_per_second", static_cast<double>(n) / seconds}};
    if (sparsity) record["zero_units"] = sparsity->zero_fraction();
    if (val_set != nullptr) {
      const EvalResult v = evaluate(net, *val_set, options.eval_batch_size);
      record["val_loss"] = v.loss;
      record["val_top1"] = v.top1;
    }
    result.epochs.push_back(record);
    sink.record(record);
    const bool last = epoch + 1 == options.epochs;
    if (!options.checkpoint_path.empty() && options.checkpoint_every_epoch && !last && dist::is_main()) {
      write_checkpoint(model, *optimizer, options, result.epochs, epoch + 1, sparsity);
    }
  }

  for (at::Tensor& p : params) p.requires_grad_(false).mutable_grad().reset();
  if (!result.cancelled) {
    json entry = {{"action", "train"}, {"dataset", train_set.name}, {"samples", n}, {"options", options}};
    if (ranks > 1) {
      entry["data_parallel"] = {{"ranks", ranks}, {"average_batch_norm_stats", options.average_batch_norm_stats}};
    }
    if (!result.epochs.empty()) entry["final"] = result.epochs.back();
    model.metadata.history.push_back(entry);
    model.metadata.dataset = train_set.name;
    if (!options.checkpoint_path.empty() && dist::is_main()) {
      write_checkpoint(model, *optimizer, options, result.epochs, options.epochs, sparsity);
    }
  }
  dist::barrier();  // the files are complete before any rank reports success
  result.seconds = std::chrono::duration<double>(Clock::now() - start_time).count();
  return result;
}

}  // namespace mipp::train
