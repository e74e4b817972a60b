#include "mipp/io/model_file.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <zlib.h>

#include <ATen/ops/isfinite.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "io/network_json.h"
#include "io/storage_records.h"
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

// CRC-32 of a tensor's float32 bytes, as 8 hex digits: stored per attribute in mipp.json and
// checked on load, so a flipped byte or a cut record in the archive is an error naming the tensor,
// not a model that silently computes garbage.
std::string crc32_hex(const void* data, size_t size) {
  const uLong crc = crc32_z(crc32_z(0L, Z_NULL, 0), static_cast<const Bytef*>(data), size);
  return fmt::format("{:08x}", crc);
}

std::string tensor_crc32(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kCPU).contiguous();
  return crc32_hex(c.data_ptr(), c.numel() * c.element_size());
}

json tensor_checksums(const graph::Network& net, const AttributeNames& names) {
  json sums = json::object();
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    for (const auto& [key, t] : node.params) sums[names[id].at(key)] = tensor_crc32(t);
    for (const auto& [key, t] : node.buffers) sums[names[id].at(key)] = tensor_crc32(t);
  }
  return sums;
}

json metadata_to_json(const graph::Network& net, const ModelMetadata& m, const AttributeNames& names) {
  return {{"format", "mipp-model"},
          {"format_version", kFormatVersion},
          {"mipp_version", util::mipp_version()},
          {"architecture", m.architecture},
          {"input_shape", net.input_shape()},
          {"num_classes", net.output_shape().front()},
          {"dataset", m.dataset},
          {"data_dir", m.data_dir},
          {"normalization", m.normalization},
          {"build", m.build},
          {"history", m.history},
          {"graph", network_to_json(net, names)},
          {"tensor_crc32", tensor_checksums(net, names)}};
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

// The first non-empty line of LibTorch's message (the compiler's start with a blank line).
std::string first_line(const std::string& text) {
  const size_t start = std::min(text.find_first_not_of(" \n"), text.size());
  return text.substr(start, text.find('\n', start) - start);
}

}  // namespace

void save_model(const std::string& path, const graph::Network& net, const ModelMetadata& metadata,
                const ExtraEntries& extra_entries) {
  const AttributeNames names = make_attribute_names(net);
  torch::jit::Module module = to_module(net, metadata, names);
  for (const char* reserved : {kMetadataEntry, kMetadataChecksumEntry}) {
    MIPP_CHECK(extra_entries.count(reserved) == 0, kInvalidArgument, "extra entry name {} is reserved", reserved);
  }
  torch::jit::ExtraFilesMap extra(extra_entries.begin(), extra_entries.end());
  extra[kMetadataEntry] = metadata_to_json(net, metadata, names).dump(1);
  extra[kMetadataChecksumEntry] = crc32_hex(extra[kMetadataEntry].data(), extra[kMetadataEntry].size());
  // Serialised in memory, then written with checked system calls: LibTorch's archive writer
  // throws from its destructor when its stream fails (a full disk, no permission), which no
  // caller can catch. Saving through a stream also names the archive's top folder "archive"
  // rather than after a file, so equal models give byte-identical files.
  std::ostringstream bytes;
  module.save(bytes, extra);
  util::write_file_atomically(path, bytes.str());
}

Model load_model(const std::string& path, const std::vector<std::string>& extra_entries) {
  std::error_code ec;
  MIPP_CHECK(std::filesystem::is_regular_file(path, ec), kNotFound, "{}: no such model file", path);

  // LibTorch leaves a requested entry untouched when the archive lacks it: a sentinel tells.
  const std::string kAbsent = "\x01mipp:absent";
  torch::jit::ExtraFilesMap extra = {{kMetadataEntry, kAbsent}, {kMetadataChecksumEntry, kAbsent}};
  for (const std::string& name : extra_entries) extra[name] = kAbsent;
  check_storage_records(path);
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, at::kCPU, extra);
  } catch (const c10::Error& e) {
    MIPP_FAIL(kCorruption, "{}: not a readable TorchScript archive ({})", path, first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {  // the TorchScript compiler's ErrorReport: code that no longer compiles
    MIPP_FAIL(kCorruption, "{}: not a readable TorchScript archive ({})", path, first_line(e.what()));
  }
  const std::string& text = extra.at(kMetadataEntry);
  MIPP_CHECK(text != kAbsent, kNotSupported,
             "{}: a TorchScript file without mipp metadata (a PyTorch model?): import it with io::import_torchscript", path);

  const std::string& text_crc = extra.at(kMetadataChecksumEntry);  // absent in files from before it existed
  MIPP_CHECK(text_crc == kAbsent || text_crc == crc32_hex(text.data(), text.size()), kCorruption,
             "{}: {} does not match its checksum: the file is corrupt", path, kMetadataEntry);
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
  const json no_checksums = json::object();
  const json& checksums = j.contains("tensor_crc32") ? j.at("tensor_crc32") : no_checksums;
  MIPP_CHECK(checksums.is_object(), kCorruption, "{}: {}: tensor_crc32 is not an object", path, kMetadataEntry);
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    MIPP_CHECK(names[id].size() == node.params.size() + node.buffers.size(), kCorruption,
               "{}: node {} lists {} tensors, its op has {}", path, node.name, names[id].size(),
               node.params.size() + node.buffers.size());
    for (const auto& [key, attr] : names[id]) {
      MIPP_CHECK(module.hasattr(attr), kCorruption, "{}: tensor {}.{} (attribute {}) is missing", path,
                 net.node(id).name, key, attr);
      const c10::IValue value = module.attr(attr);
      MIPP_CHECK(value.isTensor(), kCorruption, "{}: {}.{} (attribute {}) is a {}, not a tensor", path,
                 net.node(id).name, key, attr, value.tagKind());
      const at::Tensor t = value.toTensor().detach();
      MIPP_CHECK(t.scalar_type() == at::kFloat, kNotSupported, "{}: tensor {}.{} is {}, mipp reads float32",
                 path, net.node(id).name, key, c10::toString(t.scalar_type()));
      // Files written since checksums were added carry one per tensor (older ones do not).
      MIPP_CHECK(!checksums.contains(attr) || checksums.at(attr) == tensor_crc32(t), kCorruption,
                 "{}: tensor {}.{} does not match its checksum: the file is corrupt (or was saved from PyTorch with "
                 "changed weights and the old mipp.json)",
                 path, net.node(id).name, key);
      MIPP_CHECK(at::isfinite(t).all().item<bool>(), kCorruption, "{}: tensor {}.{} holds NaN or infinite values", path,
                 net.node(id).name, key);
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
  // Each field is optional; present, it must have its type.
  auto read_field = [&](const char* key, auto& into, json::value_t type) {
    if (!j.contains(key)) return;
    const json& v = j.at(key);
    MIPP_CHECK(v.type() == type, kCorruption, "{}: {}: field {} is a {}, expected a{} {}", path, kMetadataEntry, key,
               v.type_name(), type == json::value_t::array || type == json::value_t::object ? "n" : "",
               json(type).type_name());
    try {
      v.get_to(into);
    } catch (const json::exception& e) {
      MIPP_FAIL(kCorruption, "{}: {}: field {}: {}", path, kMetadataEntry, key, e.what());
    }
  };
  read_field("architecture", m.architecture, json::value_t::string);
  read_field("dataset", m.dataset, json::value_t::string);
  read_field("data_dir", m.data_dir, json::value_t::string);
  read_field("normalization", m.normalization, json::value_t::object);
  read_field("build", m.build, json::value_t::object);
  read_field("history", m.history, json::value_t::array);
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
