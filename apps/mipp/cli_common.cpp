#include "cli_common.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <filesystem>
#include <iostream>
#include <thread>
#include <fmt/ranges.h>

#include "mipp/bench/manifest.h"
#include "mipp/data/readers.h"
#include "mipp/dist/process_group.h"
#include "mipp/util/device.h"
#include "mipp/util/error.h"
#include "mipp/util/version.h"

namespace mipp::cli {

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description,
                      const std::string& examples) {
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->footer(examples + "\nGlobal options (before or after the subcommand):\n"
                         "  --threads N   intra-op threads (default 0 = all hardware threads)\n"
                         "  --device D    auto, cpu, cuda or cuda:N (default auto: the GPU when there is one)\n"
                         "  --seed S      seed deciding all randomness (default 0)\n"
                         "  --log-format text|json, --quiet   progress on stderr");
  return cmd;
}

void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option("--threads", global.threads, "intra-op threads (0 = all hardware threads)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app.add_option("--seed", global.seed, "seed deciding all randomness")->capture_default_str();
  app.add_option("--log-format", global.log_format, "progress and per-epoch records on stderr: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_flag("-q,--quiet", global.quiet, "no progress bar or per-epoch lines (text format)");
  app.add_option("--device", global.device, "auto, cpu, cuda or cuda:N (auto: the first GPU when there is one)")
      ->capture_default_str();
  app.add_option("--dist-timeout", global.dist_timeout,
                 "data-parallel runs: seconds a rank waits for a silent peer before stopping with an error")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
}

void refuse_empty_numbers(CLI::App& app) {
  static const CLI::Validator non_empty(
      [](std::string& value) -> std::string {
        return value.find_first_not_of(" \t") == std::string::npos ? "empty value: expected a number" : "";
      },
      "");
  for (CLI::Option* option : app.get_options()) {
    const std::string type = option->get_type_name();
    if (type == "FLOAT" || type == "INT" || type == "UINT" || type == "NUMBER") option->check(non_empty);
  }
  for (CLI::App* sub : app.get_subcommands({})) refuse_empty_numbers(*sub);
}

namespace {
c10::Device resolved_device(c10::kCPU);
bool announce_device = false;  // --device auto took a GPU: say so when a command first uses it
}  // namespace

c10::Device run_device() {
  if (announce_device) {
    std::cerr << "mipp: --device auto: using " << util::describe_device(resolved_device) << "\n";
    announce_device = false;
  }
  return resolved_device;
}

int apply_global_options(const GlobalOptions& global, bool data_parallel) {
  const std::optional<dist::Launch> launch = dist::launch_from_environment();
  const bool parallel = launch && launch->world_size > 1;
  MIPP_CHECK(!parallel || data_parallel, kInvalidArgument,
             "this command runs in one process, but the environment describes rank {} of {} (RANK, WORLD_SIZE): "
             "run it without torchrun", launch ? launch->rank : 0, launch ? launch->world_size : 1);
  int threads = global.threads;
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // More intra-op threads than cores only make OpenMP wait; thousands take minutes to start.
  const int max_threads = 4 * hardware;
  MIPP_CHECK(threads <= max_threads, kInvalidArgument,
             "--threads {}: at most {} on this machine (4 x its {} hardware threads)", threads, max_threads, hardware);
  if (threads == 0) threads = parallel ? std::max(1, hardware / launch->local_world_size) : hardware;
  at::set_num_threads(threads);
  // A backstop only: library code takes its generators explicitly and never reads the global one.
  at::manual_seed(global.seed);

  resolved_device = util::resolve_device(global.device);
  if (parallel && resolved_device.is_cuda() && (global.device == "auto" || global.device == "cuda")) {
    // One GPU per local rank; more ranks than GPUs share them round-robin (Gloo allows that).
    resolved_device = util::resolve_device(fmt::format("cuda:{}", launch->local_rank % util::gpu_count()));
  }
  announce_device = global.device == "auto" && resolved_device.is_cuda() && (!launch || launch->rank == 0);
  if (parallel) dist::init(*launch, resolved_device, std::chrono::milliseconds(static_cast<int64_t>(global.dist_timeout * 1000)));
  return threads;
}

void add_model_source_options(CLI::App* cmd, ModelSource& source, bool with_file) {
  auto* model = cmd->add_option("--model", source.zoo_name, "zoo model to build (see `mipp inspect --list`)");
  if (with_file) {
    cmd->add_option("file", source.file, "model file (.pt) written by mipp, or a TorchScript file from PyTorch")
        ->excludes(model);
  }
  auto zoo_only = [&](CLI::Option* opt) {
    opt->needs(model);
    return opt;
  };
  zoo_only(cmd->add_option("--num-classes", source.num_classes, "output classes")->capture_default_str());
  cmd->add_option("--input-shape", source.input_shape,
                  "per-sample input shape C,H,W or F (zoo: default the model's; required for a PyTorch TorchScript file)");
  zoo_only(cmd->add_option("--width", source.width, "channel width multiplier (vgg, resnet)")->capture_default_str());
  zoo_only(cmd->add_option("--hidden", source.hidden, "hidden widths of mlp, e.g. 300,100"));
  zoo_only(cmd->add_flag("--small-stem", source.small_stem, "resnet18/34/50: 3x3 stem without max-pool"));
}

void add_data_options(CLI::App* cmd, pipeline::DataOptions& data, bool with_val_split, bool with_train_limit) {
  cmd->add_option("--dataset", data.dataset, fmt::format("{}", fmt::join(data::dataset_names(), ", ")))
      ->capture_default_str();
  cmd->add_option("--data", data.dir,
                  "folder with the dataset's files (fashion-mnist: Debian's package by default; image-folder: "
                  "DIR/train/CLASS/*.png|jpg and DIR/test/CLASS/...)");
  cmd->add_option("--image-size", data.image_size,
                  "image-folder: H,W every image is resized to (default: the model's input size)")
      ->delimiter(',')
      ->expected(2);
  if (with_train_limit) {
    cmd->add_option("--limit", data.train_limit, "use only the first N training samples (0 = all)")
        ->check(CLI::NonNegativeNumber);
  }
  cmd->add_option("--test-limit", data.test_limit, "use only the first N test samples (0 = all)")
      ->check(CLI::NonNegativeNumber);
  if (with_val_split) {
    cmd->add_option("--val-split", data.val_split, "fraction of the training set held out for validation")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
  }
}

void default_to_models_dataset(CLI::App* cmd, pipeline::DataOptions& data) {
  data.dataset.clear();
  cmd->get_option("--dataset")
      ->default_str("")
      ->description(fmt::format("{} (default: the model file's, else fashion-mnist)", fmt::join(data::dataset_names(), ", ")));
}

void use_models_dataset(pipeline::DataOptions& data, const io::ModelMetadata& metadata, const std::string& fallback) {
  const std::string& recorded = metadata.dataset;
  MIPP_CHECK(data.dataset.empty() || recorded.empty() || data.dataset == recorded, kInvalidArgument,
             "--dataset {}: the model was trained on {} (its file records it); leave --dataset out to use that", data.dataset,
             recorded);
  MIPP_CHECK(data.dir.empty() || !data.dataset.empty() || !recorded.empty(), kInvalidArgument,
             "--data {}: name the dataset its files hold with --dataset ({})", data.dir, fmt::join(data::dataset_names(), ", "));
  if (data.dataset.empty()) data.dataset = recorded;
  if (!recorded.empty() && data.dir.empty()) data.dir = metadata.data_dir;
  if (data.dataset.empty()) data.dataset = fallback;
}

void record_dataset(io::ModelMetadata& metadata, const pipeline::DataOptions& data) {
  metadata.dataset = data.dataset;
  std::error_code ec;
  metadata.data_dir = data.dir.empty() ? "" : std::filesystem::absolute(data.dir, ec).lexically_normal().string();
}

std::vector<int64_t> parse_int_list(const std::string& text, const std::string& option) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    MIPP_CHECK(!item.empty() && used == item.size() && value > 0, kInvalidArgument,
               "{} '{}': expected positive integers separated by commas", option, text);
    out.push_back(value);
    start = end + 1;
  }
  return out;
}

std::vector<int64_t> parse_input_shape(const std::string& text) {
  if (text.empty()) return {};
  std::vector<int64_t> shape = parse_int_list(text, "--input-shape");
  MIPP_CHECK(shape.size() == 1 || shape.size() == 3, kInvalidArgument, "--input-shape '{}': give C,H,W or F", text);
  return shape;
}

io::Model load_model_file(const std::string& file, const std::string& input_shape) {
  const std::vector<int64_t> shape = parse_input_shape(input_shape);
  io::Model model = io::load_or_import_model(file, {shape});
  MIPP_CHECK(shape.empty() || model.network.input_shape() == shape, kInvalidArgument,
             "--input-shape {}: {} is a mipp model file for inputs [{}]; leave the option out", input_shape, file,
             fmt::join(model.network.input_shape(), ", "));
  const nlohmann::json& history = model.metadata.history;
  if (!history.empty() && history.front().value("action", "") == "import") {
    for (const auto& note : history.front().value("notes", nlohmann::json::array())) {
      std::cerr << "mipp: note: " << note.get<std::string>() << "\n";
    }
  }
  return model;
}

models::ModelSpec zoo_spec(const ModelSource& source, const GlobalOptions& global) {
  models::ModelSpec spec;
  spec.name = source.zoo_name;
  spec.num_classes = source.num_classes;
  spec.input_shape = parse_input_shape(source.input_shape);
  spec.width = source.width;
  if (!source.hidden.empty()) spec.hidden = parse_int_list(source.hidden, "--hidden");
  spec.small_stem = source.small_stem;
  spec.seed = global.seed;
  return models::resolve(spec);
}

io::ModelMetadata fresh_metadata(const models::ModelSpec& spec) {
  io::ModelMetadata m;
  m.architecture = spec.name;
  m.build = spec;
  m.history = nlohmann::json::array({{{"action", "init"}, {"seed", spec.seed}, {"mipp_version", util::mipp_version()}}});
  return m;
}

io::Model load_or_build(const ModelSource& source, const GlobalOptions& global) {
  if (!source.file.empty()) return load_model_file(source.file, source.input_shape);
  MIPP_CHECK(!source.zoo_name.empty(), kInvalidArgument, "no model: give a model file or --model NAME");
  const models::ModelSpec spec = zoo_spec(source, global);
  return {models::build_model(spec), fresh_metadata(spec)};
}

std::string version_string() {
  const std::string cuda = util::torch_cuda();
  return fmt::format("mipp {} (commit {}), LibTorch {} ({}), CPU kernels {}", util::mipp_version(), util::git_commit(),
                     bench::libtorch_version(), cuda == "cpu" ? "CPU only" : "CUDA " + cuda,
                     bench::libtorch_cpu_capability());
}

nlohmann::json run_info(int threads) {
  nlohmann::json run = bench::run_environment(threads);
  run["device"] = util::describe_device(resolved_device);
  run["ranks"] = dist::world_size();
  if (dist::world_size() > 1) run["dist_backend"] = dist::backend_name();
  return run;
}

}  // namespace mipp::cli
