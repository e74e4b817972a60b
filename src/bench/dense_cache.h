// The dense models of a bench, per model and seed, cached in DIR/cache: the initial weights
// (<label>-seed<S>-init.pt) and the trained model (<label>-seed<S>-dense.pt, a training checkpoint
// written every epoch, so an interrupted training resumes) with its record (-dense.json, written
// last: its presence marks the training finished). A model file in the configuration is the dense
// model of every seed; its initial weights are redrawn per seed (models::initialize).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/bench/config.h"
#include "mipp/io/model_file.h"
#include "mipp/pipeline/prepare_data.h"
#include "mipp/util/events.h"

namespace mipp::bench {

class DenseCache {
 public:
  // REQUIRES: `dir` exists; `config` outlives the cache. Models are returned on `device` (files
  // hold CPU tensors, so a cache moves between machines). `ran_with` (commit, LibTorch, device,
  // threads of this run) goes into the record of every model trained now.
  DenseCache(std::string dir, const BenchConfig& config, util::EventSink& sink, c10::Device device,
             nlohmann::json ran_with);

  // The initial weights of model `m` for `seed`, normalisation set from `data`.
  io::Model initial(size_t m, uint64_t seed, const pipeline::PreparedData& data);
  // The trained dense model (trained on first use; an error is remembered and rethrown).
  const io::Model& trained(size_t m, uint64_t seed, const pipeline::PreparedData& data);
  // Whether the trained dense model of `m` for `seed` is in the cache (trained earlier or now).
  bool is_trained(size_t m, uint64_t seed) const;
  // Dense records of every model and seed trained so far (this run or an earlier one), in
  // configuration order.
  std::vector<nlohmann::json> records() const;

 private:
  std::string path(size_t m, uint64_t seed, const std::string& suffix) const;

  std::string dir_;
  const BenchConfig& config_;
  util::EventSink& sink_;
  c10::Device device_;
  nlohmann::json ran_with_;
  std::map<std::pair<size_t, uint64_t>, io::Model> trained_;
  std::map<std::pair<size_t, uint64_t>, std::string> errors_;
};

}  // namespace mipp::bench
