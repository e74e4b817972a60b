#include "mipp/bench/manifest.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/Version.h>
#include <torch/version.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include "mipp/util/error.h"
#include "mipp/util/version.h"

namespace mipp::bench {

namespace {

// The value of the first /proc/cpuinfo line that starts with `field`, or "" when there is none.
std::string cpuinfo_field(const std::string& field) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':');
    if (line.rfind(field, 0) == 0 && colon != std::string::npos) {
      const size_t value = line.find_first_not_of(" \t", colon + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "";
}

std::string cpu_model() {
  const std::string model = cpuinfo_field("model name");
  return model.empty() ? "unknown" : model;
}

// The widest vector instruction set the CPU reports. LibTorch's kernels are chosen by it and round
// differently, so training runs repeat bit for bit only on CPUs with the same value.
std::string cpu_vector_isa() {
  std::istringstream flags(cpuinfo_field("flags"));
  const std::set<std::string> have{std::istream_iterator<std::string>(flags), std::istream_iterator<std::string>()};
  if (have.empty()) return "unknown";
  for (const char* isa : {"avx512f", "avx2", "avx", "sse4_2"}) {
    if (have.count(isa) > 0) return isa;
  }
  return "none of avx512f, avx2, avx, sse4_2";
}

uint32_t crc32_of(const at::Tensor& t, uint32_t crc) {
  const at::Tensor c = t.contiguous();
  const auto* bytes = static_cast<const Bytef*>(c.data_ptr());
  size_t left = c.numel() * c.element_size();
  while (left > 0) {  // zlib takes uInt lengths
    const uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = static_cast<uint32_t>(::crc32(crc, bytes, n));
    bytes += n;
    left -= n;
  }
  return crc;
}

}  // namespace

std::string libtorch_version() {
  return fmt::format("{}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
}

std::string libtorch_cpu_capability() { return at::get_cpu_capability(); }

nlohmann::json run_environment(int threads) {
  return {{"mipp_version", util::mipp_version()},
          {"git_commit", util::git_commit()},
          {"libtorch_version", libtorch_version()},
          {"libtorch_cuda", util::torch_cuda()},
          {"libtorch_cpu_capability", libtorch_cpu_capability()},
          {"threads", threads},
          {"cpu", cpu_model()},
          {"cpu_vector_isa", cpu_vector_isa()},
          {"hardware_threads", std::thread::hardware_concurrency()}};
}

bool is_dirty_build(const std::string& git_commit) {
  const std::string suffix = "-dirty";
  return git_commit.size() > suffix.size() &&
         git_commit.compare(git_commit.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_publishable(const std::string& git_commit, bool allow_dirty) {
  MIPP_CHECK(!is_dirty_build(git_commit) || allow_dirty, kInvalidArgument,
             "this mipp was built from a working tree with uncommitted changes (commit {}): its results would "
             "name code that no commit holds; commit and rebuild, or pass --allow-dirty (the manifest and summary "
             "then say so)",
             git_commit);
}

nlohmann::json ran_with(const nlohmann::json& environment, size_t run_index) {
  nlohmann::json r = {{"run", run_index}};
  for (const char* key : {"mipp_version", "git_commit", "libtorch_version", "libtorch_cuda", "device", "threads"}) {
    if (environment.contains(key)) r[key] = environment.at(key);
  }
  return r;
}

nlohmann::json cell_provenance(const nlohmann::json& config_json, size_t model, size_t method,
                               const nlohmann::json& environment, size_t run_index) {
  nlohmann::json config = config_json;
  config["model"] = config_json.at("models").at(model);
  config["method"] = config_json.at("methods").at(method);
  for (const char* list : {"models", "methods", "sparsities", "seeds", "timings", "description"}) config.erase(list);
  return {{"ran_with", ran_with(environment, run_index)}, {"config", config}};
}

nlohmann::json dataset_checksum(const data::Dataset& d) {
  nlohmann::json j = {{"name", d.name}, {"samples", d.size()}, {"sample_shape", d.sample_shape()}};
  j["inputs_crc32"] = fmt::format("{:08x}", d.inputs.defined() ? crc32_of(d.inputs, 0) : 0);
  j["labels_crc32"] = fmt::format("{:08x}", d.labels.defined() ? crc32_of(d.labels, 0) : 0);
  return j;
}

}  // namespace mipp::bench
