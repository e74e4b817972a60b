// bench::BenchConfig — what `mipp bench` runs: models, dataset, the dense training recipe, the
// fine-tuning recipe shared by every method, methods, sparsities, budget, seeds, timing, controls,
// latency. Read from a JSON file (docs/USAGE.md, "mipp bench", lists every key) and validated as a
// whole before anything runs: every problem is collected and reported in one error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/models/zoo.h"
#include "mipp/pipeline/prepare_data.h"
#include "mipp/prune/budget.h"
#include "mipp/train/options.h"

namespace mipp::bench {

// A model of the bench: a zoo model (trained per seed with BenchConfig::train) or a model file
// (the same trained weights for every seed; pruning before training re-initialises it per seed).
struct ModelConfig {
  std::string label;         // name in results and file names; default: zoo name ("vgg11-w0.5") or file stem
  models::ModelSpec spec;    // resolved zoo spec (seed set per seed); name empty for a file
  std::string file;          // model file written by mipp; empty for a zoo model
};

struct MethodConfig {
  std::string label;          // name in results; default: the method's id; unique
  std::string name;           // a prune::method_list() id
  nlohmann::json options = nlohmann::json::object();  // the method's own options
  int rounds = 1;             // iterative pruning (synflow: 100 in the paper)
  std::string round_schedule = "exponential";
  // Iterative pruning with retraining (IMP: "magnitude" in rounds): after every round but the
  // last, this many epochs of the fine-tuning recipe, its learning-rate schedule restarted
  // (learning-rate rewinding). 0: no retraining. Needs rounds >= 2 and timing "after".
  int retrain_epochs = 0;
  // OTO: before pruning, this many epochs of the fine-tuning recipe with group-sparsity training
  // (train/group_sparsity.h) towards the cell's sparsity and the budget's min width, with
  // `group_sparsity`'s lambda, lambda_amplify, lambda_max_factor and epsilon; then the method
  // (`oto`: removes the units that training zeroed) and the same fine-tune as every method.
  // 0: none. Needs timing "after" and a units budget.
  int group_sparsity_epochs = 0;
  train::GroupSparsityOptions group_sparsity;
  std::vector<std::string> timings;  // "after" and/or "before"; default: BenchConfig::timings
  int64_t calib_samples = 0;  // 0: BenchConfig::calib_samples
  // After the method's choice, least-squares reweighting of the next layers (`--reweight`) and
  // batch-norm re-estimation (`--recalibrate-bn`), both on the calibration samples.
  bool reweight = false;
  std::string reweight_variant = "asym";
  bool recalibrate_bn = false;
};

struct LatencyConfig {
  bool enabled = true;
  std::vector<int64_t> batches = {1, 256};
  int warmup = 5;
  int repeats = 30;           // median of these timed runs
};

struct BenchConfig {
  std::string name;                      // default: the file's stem
  std::vector<ModelConfig> models;
  pipeline::DataOptions data;            // dataset, dir, train_limit, test_limit (no validation split)
  // Dense training; also the full schedule that follows pruning before training, and the schedule
  // of the re-initialisation control.
  train::TrainOptions train;
  // Fine-tuning after pruning a trained model, the same for every method (default: 3 epochs,
  // SGD lr 0.01, cosine, the train recipe otherwise).
  train::TrainOptions finetune;
  std::vector<MethodConfig> methods;
  std::vector<double> sparsities;        // fractions removed, in [0, 1), measured in budget.target
  prune::Budget budget;                  // target, scope, floors; sparsity set per cell
  std::vector<uint64_t> seeds;
  std::vector<std::string> timings;      // "after", "before" (from "timing": after | before | both)
  int64_t calib_samples = 0;             // 0: each method's default (512; mipp 2048)
  int threads = 0;                       // 0: the caller decides (the CLI's --threads)
  LatencyConfig latency;
  bool controls = false;                 // layer-wise shuffled and re-initialised copies per method
  nlohmann::json source;                 // the configuration as written
};

// Parses and validates `j` completely: unknown keys, types and ranges, models (zoo names and
// options build; files load), methods and their options, budgets reachable on every model at every
// sparsity, the dataset loads and fits every model. Throws one Error(kInvalidArgument) whose
// message lists every problem ("config F: 3 problems: (1) ...; (2) ...; (3) ..."). `where` names
// the configuration in messages; `base_dir` resolves relative model files.
BenchConfig parse_config(const nlohmann::json& j, const std::string& where, const std::string& base_dir = ".");

// Reads and parses a configuration file. Throws Error(kNotFound) for a missing file and
// Error(kInvalidArgument) for invalid JSON, a key repeated in one object (naming its path:
// "methods[2].name") or any problem parse_config() finds.
BenchConfig read_config(const std::string& path);

// read_config() for configuration text in memory; `where` names it in messages.
BenchConfig parse_config_text(const std::string& text, const std::string& where, const std::string& base_dir = ".");

// JSON text parsed as nlohmann::json::parse does, except that a key repeated in one object, at any
// depth, is an error instead of the last value silently winning. Throws Error(kInvalidArgument)
// "WHAT: key PATH appears twice in one object; ..." or "WHAT: not valid JSON: ...".
nlohmann::json parse_json_strict(const std::string& text, const std::string& what);

// How tables, plots and results name each method of `c` (in its order): the method's title
// (prune::Method::title(), e.g. "MIPP (linear-Gaussian)"), for other methods followed by their
// options that differ from the defaults, then "100 exponential rounds", "+ reweight",
// "+ BN recalibrated" where set. Two methods that would share a title get their label appended.
std::vector<std::string> method_titles(const BenchConfig& c);

// The title of the method labelled `label`; the label itself when `c` has no such method.
std::string method_title(const BenchConfig& c, const std::string& label);

// The configuration with every default filled in, for the manifest.
nlohmann::json to_json(const BenchConfig& c);

}  // namespace mipp::bench
