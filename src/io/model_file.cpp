#include "mipp/io/model_file.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cctype>
#include <filesystem>
#include <fstream>

#include "io/network_json.h"
#include "io/torchscript_source.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"
#include "mipp/util/version.h"

namespace mipp::io {

namespace {

using nlohmann::json;

// TorchScript class names must be identifiers; the architecture name is the readable part.
std::string class_name(const std::string& architecture) {
  std::string name;
  for (char c : architecture) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) name = "model_" + name;
  return "__torch__.mipp." + name;
}

json metadata_to_json(const graph::Network& net, const ModelMetadata& m, const AttributeNames& names) {
  return {{"format", "mipp-model"},
          {"format_version", kFormatVersion},
          {"mipp_version", util::mipp_version()},
          {"architecture", m.architecture},
          {"input_shape", net.input_shape()},
          {"num_classes", net.output_shape().front()},
          {"dataset", m.dataset},
          {"normalization", m.normalization},
          {"build", m.build},
          {"history", m.history},
          {"graph", network_to_json(net, names)}};
}

torch::jit::Module to_module(const graph::Network& net, const ModelMetadata& metadata, const AttributeNames& names) {
  torch::jit::Module module(class_name(metadata.architecture));
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    for (const auto& [key, t] : node.params) {
      module.register_parameter(names[id].at(key), t.detach().cpu(), /*is_buffer=*/false);
    }
    for (const auto& [key, t] : node.buffers) module.register_buffer(names[id].at(key), t.detach().cpu());
  }
  // Saved in eval mode: users loading the file for inference get batch-norm running statistics.
  if (!module.hasattr("training")) module.register_attribute("training", c10::BoolType::get(), false);
  module.define(forward_source(net, names));
  module.eval();
  return module;
}

}  // namespace

void save_model(const std::string& path, const graph::Network& net, const ModelMetadata& metadata,
                const ExtraEntries& extra_entries) {
  const AttributeNames names = make_attribute_names(net);
  torch::jit::Module module = to_module(net, metadata, names);
  MIPP_CHECK(extra_entries.count(kMetadataEntry) == 0, kInvalidArgument, "extra entry name {} is reserved",
             kMetadataEntry);
  torch::jit::ExtraFilesMap extra(extra_entries.begin(), extra_entries.end());
  extra[kMetadataEntry] = metadata_to_json(net, metadata, names).dump(1);
  util::write_atomically(path, [&](const std::string& temp) {
    // Saving through a stream names the archive's top folder "archive" rather than after the
    // temp file, so equal models give byte-identical files.
    std::ofstream out(temp, std::ios::binary);
    try {
      module.save(out, extra);
    } catch (const c10::Error& e) {
      MIPP_FAIL(kIo, "{}: cannot write model file: {}", path, e.what_without_backtrace());
    }
    out.close();
    MIPP_CHECK(out.good(), kIo, "{}: cannot write model file (disk full?)", path);
  });
}

Model load_model(const std::string& path, const std::vector<std::string>& extra_entries) {
  std::error_code ec;
  MIPP_CHECK(std::filesystem::is_regular_file(path, ec), kNotFound, "{}: no such model file", path);

  // LibTorch leaves a requested entry untouched when the archive lacks it: a sentinel tells.
  const std::string kAbsent = "\x01mipp:absent";
  torch::jit::ExtraFilesMap extra = {{kMetadataEntry, kAbsent}};
  for (const std::string& name : extra_entries) extra[name] = kAbsent;
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, at::kCPU, extra);
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    why = why.substr(0, why.find('\n'));
    MIPP_FAIL(kCorruption, "{}: not a readable TorchScript archive ({})", path, why);
  }
  const std::string& text = extra.at(kMetadataEntry);
  MIPP_CHECK(text != kAbsent, kNotSupported,
             "{}: a TorchScript file without mipp metadata (a PyTorch model?): import it with io::import_torchscript", path);

  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    MIPP_FAIL(kCorruption, "{}: {} is not valid JSON: {}", path, kMetadataEntry, e.what());
  }
  const bool is_mipp = j.is_object() && j.value("format", json()) == "mipp-model" &&
                       j.value("format_version", json()).is_number_integer();
  MIPP_CHECK(is_mipp, kCorruption, "{}: {} is not mipp model metadata", path, kMetadataEntry);
  const int version = j.at("format_version").get<int>();
  MIPP_CHECK(version >= 1, kCorruption, "{}: {} has format version {}", path, kMetadataEntry, version);
  MIPP_CHECK(version <= kFormatVersion, kNotSupported,
             "{}: model format version {} is newer than this mipp reads ({}); upgrade mipp", path, version,
             kFormatVersion);

  AttributeNames names;
  graph::Network net = [&] {
    try {
      return network_from_json(j.at("graph"), names);
    } catch (const Error& e) {
      MIPP_FAIL(kCorruption, "{}: {}", path, e.what());
    } catch (const json::exception& e) {
      MIPP_FAIL(kCorruption, "{}: graph metadata: {}", path, e.what());
    }
  }();
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    MIPP_CHECK(names[id].size() == node.params.size() + node.buffers.size(), kCorruption,
               "{}: node {} lists {} tensors, its op has {}", path, node.name, names[id].size(),
               node.params.size() + node.buffers.size());
    for (const auto& [key, attr] : names[id]) {
      MIPP_CHECK(module.hasattr(attr), kCorruption, "{}: tensor {}.{} (attribute {}) is missing", path,
                 net.node(id).name, key, attr);
      const at::Tensor t = module.attr(attr).toTensor().detach();
      MIPP_CHECK(t.scalar_type() == at::kFloat, kNotSupported, "{}: tensor {}.{} is {}, mipp reads float32",
                 path, net.node(id).name, key, c10::toString(t.scalar_type()));
      try {
        net.set_tensor(id, key, t);
      } catch (const Error& e) {
        MIPP_FAIL(kCorruption, "{}: {}", path, e.what());
      }
    }
  }

  Model model{std::move(net), {}, {}};
  for (const std::string& name : extra_entries) {
    if (extra.at(name) != kAbsent) model.extra[name] = extra.at(name);
  }
  ModelMetadata& m = model.metadata;
  try {
    m.architecture = j.value("architecture", "");
    m.dataset = j.value("dataset", "");
    m.normalization = j.value("normalization", data::Normalization{});
    m.build = j.value("build", json::object());
    m.history = j.value("history", json::array());
  } catch (const json::exception& e) {
    MIPP_FAIL(kCorruption, "{}: {}: {}", path, kMetadataEntry, e.what());
  }
  return model;
}

}  // namespace mipp::io

namespace mipp::data {

void to_json(nlohmann::json& j, const Normalization& n) { j = {{"mean", n.mean}, {"std", n.std}}; }

void from_json(const nlohmann::json& j, Normalization& n) {
  n.mean = j.value("mean", std::vector<double>{});
  n.std = j.value("std", std::vector<double>{});
}

}  // namespace mipp::data
