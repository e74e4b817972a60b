#include "bench/dense_cache.h"

#include <filesystem>
#include <fstream>

#include "bench/file_names.h"
#include "bench/latency_record.h"
#include "mipp/dist/process_group.h"
#include "mipp/graph/cost.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "mipp/util/version.h"

namespace mipp::bench {

namespace fs = std::filesystem;
using nlohmann::json;

DenseCache::DenseCache(std::string dir, const BenchConfig& config, util::EventSink& sink, c10::Device device,
                       json ran_with)
    : dir_(std::move(dir)), config_(config), sink_(sink), device_(device), ran_with_(std::move(ran_with)) {}

namespace {
io::Model on_device(io::Model model, c10::Device device) {
  model.network.to(device);
  return model;
}
}  // namespace

std::string DenseCache::path(size_t m, uint64_t seed, const std::string& suffix) const {
  return (fs::path(dir_) / fmt::format("{}-seed{}-{}", file_safe(config_.models.at(m).label), seed, suffix)).string();
}

io::Model DenseCache::initial(size_t m, uint64_t seed, const pipeline::PreparedData& data) {
  const std::string file = path(m, seed, "init.pt");
  if (dist::rank0_decides(fs::exists(file))) return on_device(io::load_model(file), device_);
  const ModelConfig& mc = config_.models.at(m);
  io::Model model = [&] {
    if (!mc.file.empty()) {
      io::Model loaded = io::load_model(mc.file);
      loaded.extra.clear();
      models::initialize(loaded.network, seed);
      loaded.metadata.dataset.clear();
      return loaded;
    }
    models::ModelSpec spec = mc.spec;
    spec.seed = seed;
    io::ModelMetadata metadata;
    metadata.architecture = spec.name;
    metadata.build = spec;
    return io::Model{models::build_model(spec), metadata, {}};
  }();
  model.metadata.normalization = data.normalization;
  model.metadata.history = json::array({{{"action", "init"}, {"seed", seed}, {"mipp_version", util::mipp_version()}}});
  if (dist::is_main()) io::save_model(file, model.network, model.metadata);
  return on_device(std::move(model), device_);
}

const io::Model& DenseCache::trained(size_t m, uint64_t seed, const pipeline::PreparedData& data) {
  const auto id = std::make_pair(m, seed);
  if (auto it = trained_.find(id); it != trained_.end()) return it->second;
  if (auto it = errors_.find(id); it != errors_.end()) MIPP_FAIL(kInvalidArgument, "dense model: {}", it->second);
  const ModelConfig& mc = config_.models.at(m);
  const std::string model_file = path(m, seed, "dense.pt"), record_file = path(m, seed, "dense.json");
  try {
    if (dist::rank0_decides(fs::exists(record_file))) {
      return trained_.insert_or_assign(id, on_device(io::load_model(model_file), device_)).first->second;
    }
    double train_seconds = 0;
    io::Model model = mc.file.empty() ? initial(m, seed, data) : on_device(io::load_model(mc.file), device_);
    if (mc.file.empty()) {
      train::TrainOptions t = config_.train;
      t.seed = seed;
      t.checkpoint_path = model_file;
      t.checkpoint_every_epoch = true;
      t.resume = dist::rank0_decides(fs::exists(model_file));
      sink_.message(util::LogLevel::kInfo,
                    fmt::format("training the dense {} (seed {}, {} epochs)", mc.label, seed, t.epochs));
      const train::TrainResult r = train::train(model, data.train, nullptr, t, sink_);
      if (r.cancelled) MIPP_FAIL(kCancelled, "interrupted while training the dense {} (seed {})", mc.label, seed);
      train_seconds = r.seconds;
      model.extra.clear();
    } else {
      model.metadata.normalization = data.normalization;
      if (dist::is_main()) io::save_model(model_file, model.network, model.metadata);
    }
    const train::EvalResult e = train::evaluate(model.network, data.test);
    const graph::Cost cost = graph::total_cost(model.network);
    json record = {{"model", mc.label}, {"seed", seed},       {"top1", e.top1},          {"loss", e.loss},
                   {"params", cost.params}, {"macs", cost.macs}, {"train_seconds", train_seconds}};
    if (data.test.num_classes > 10) record["top5"] = e.top5;
    record["latency"] = latency_record(model.network, config_.latency);
    record["ran_with"] = ran_with_;
    if (dist::is_main()) util::write_file_atomically(record_file, record.dump(2) + "\n");
    return trained_.insert_or_assign(id, std::move(model)).first->second;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kCancelled) throw;
    errors_[id] = e.what();
    throw;
  } catch (const std::exception& e) {
    errors_[id] = e.what();
    throw;
  }
}

bool DenseCache::is_trained(size_t m, uint64_t seed) const {
  return trained_.count({m, seed}) > 0 || fs::exists(path(m, seed, "dense.json"));
}

std::vector<json> DenseCache::records() const {
  std::vector<json> out;
  for (size_t m = 0; m < config_.models.size(); ++m) {
    for (uint64_t seed : config_.seeds) {
      std::ifstream in(path(m, seed, "dense.json"));
      if (!in.good()) continue;
      try {
        out.push_back(json::parse(in));
      } catch (const json::exception&) {
        // written atomically; an unreadable record is treated as not trained yet
      }
    }
  }
  return out;
}

}  // namespace mipp::bench
