// What every subcommand shares: global options (threads, seed), the model source options
// (a model file, or a fresh zoo model from --model and its spec flags), run information for
// reports, and small parsers whose errors name the option.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include <c10/core/Device.h>

#include "mipp/io/model_file.h"
#include "mipp/io/torchscript_import.h"
#include "mipp/pipeline/prepare_data.h"
#include "mipp/models/zoo.h"

namespace mipp::cli {

struct GlobalOptions {
  int threads = 0;  // intra-op threads; 0 = all hardware threads
  uint64_t seed = util::kDefaultSeed;
  std::string log_format = "text";  // progress and records on stderr: text or json
  bool quiet = false;               // text format: no progress bar, no per-epoch lines
  std::string device = "auto";      // auto, cpu, cuda or cuda:N (util::resolve_device)
  double dist_timeout = 300;        // data-parallel runs: seconds a rank waits for a silent peer
};

// Thrown by a subcommand to end with a specific exit code (130 after Ctrl-C) without an error line.
struct ExitRequest {
  int code;
};

// Adds a subcommand whose help ends with `examples` and a reminder of the global options.
CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description,
                      const std::string& examples);

// Adds --threads, --seed, --log-format and --quiet to the top-level app (subcommands inherit them
// through fallthrough).
void add_global_options(CLI::App& app, GlobalOptions& global);

// Numeric options (of every subcommand, recursively) refuse an empty value, which CLI11 would
// otherwise read as 0 (`--sparsity ""` wrote an unpruned model). Call once all options exist.
void refuse_empty_numbers(CLI::App& app);

// Applies --threads to LibTorch (returns the number in effect; reports record it), seeds LibTorch's
// global generator with --seed and resolves --device (run_device()). When the environment
// describes a data-parallel launch (torchrun), joins it if the command runs data-parallel
// (`data_parallel`), and refuses it otherwise. In a launch, --threads 0 means this machine's
// threads divided among its ranks, and --device auto/cuda means the GPU numbered LOCAL_RANK (modulo the GPUs present).
int apply_global_options(const GlobalOptions& global, bool data_parallel = false);

// The device --device resolved to; the CPU before apply_global_options. The first call after
// `--device auto` took a GPU says which on stderr (commands that use no device say nothing).
c10::Device run_device();

// Either a model file (positional) or --model NAME with the zoo spec flags.
struct ModelSource {
  std::string file;
  std::string zoo_name;
  int64_t num_classes = 10;
  std::string input_shape;  // "C,H,W" or "F"; empty = the zoo model's default (PyTorch files need it)
  double width = 1.0;
  std::string hidden;       // "300,100"
  bool small_stem = false;
};

// Adds --model, --num-classes, --input-shape, --width, --hidden, --small-stem to `cmd`, and the
// positional MODEL.pt when `with_file` is true (--input-shape then also serves PyTorch files).
void add_model_source_options(CLI::App* cmd, ModelSource& source, bool with_file);

// The zoo spec from the flags, seed from the global options. Throws Error naming the flag.
models::ModelSpec zoo_spec(const ModelSource& source, const GlobalOptions& global);

// "3,64,64" -> {3, 64, 64}; "" -> {}. Throws Error(kInvalidArgument) naming --input-shape.
std::vector<int64_t> parse_input_shape(const std::string& text);

// A model file written by mipp, or a TorchScript file from PyTorch imported for `input_shape`
// ("C,H,W"; needed only then). The importer's notes (frozen channels) go to stderr.
io::Model load_model_file(const std::string& file, const std::string& input_shape);

// Loads the file, or builds the zoo model with metadata describing how it was made.
io::Model load_or_build(const ModelSource& source, const GlobalOptions& global);

// Metadata of a freshly built zoo model.
io::ModelMetadata fresh_metadata(const models::ModelSpec& spec);

// Adds --dataset, --data, --limit (unless `with_train_limit` is false: eval reads no training
// set), --test-limit, and --val-split when `with_val_split`.
void add_data_options(CLI::App* cmd, pipeline::DataOptions& data, bool with_val_split, bool with_train_limit = true);

// For commands that train or evaluate a model file: --dataset (added by add_data_options) is left
// empty, to be filled by use_models_dataset once the model is loaded.
void default_to_models_dataset(CLI::App* cmd, pipeline::DataOptions& data);
// The data of a run on an existing model: --dataset and --data when given, else the dataset and
// folder the model records (its last training), else `fallback` ("" = no data). A --dataset other
// than the recorded one is an error (the model's normalisation and classes belong to its data),
// and so is --data without a dataset name to read its files as.
void use_models_dataset(pipeline::DataOptions& data, const io::ModelMetadata& metadata,
                        const std::string& fallback = "fashion-mnist");
// Records in the model what it is now trained on: the dataset's name and its folder (absolute).
void record_dataset(io::ModelMetadata& metadata, const pipeline::DataOptions& data);

// "3,32,32" -> {3, 32, 32}. Throws Error(kInvalidArgument) naming `option`.
std::vector<int64_t> parse_int_list(const std::string& text, const std::string& option);

// mipp version and commit, LibTorch version and build, threads, CPU (bench::run_environment):
// recorded in every report.
nlohmann::json run_info(int threads);
std::string version_string();

}  // namespace mipp::cli
