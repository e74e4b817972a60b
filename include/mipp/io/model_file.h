// Model files: a mipp model is a TorchScript archive (.pt) that PyTorch opens with torch.jit.load.
//
// save_model() generates TorchScript source from the graph (one line per node), compiles it with
// torch::jit::Module::define, registers every parameter and buffer as a module attribute, and
// stores a JSON entry "mipp.json" in the archive's extra files: format version, the graph
// (nodes, ops, attributes, which attribute holds which tensor), and the model's metadata.
// load_model() rebuilds the identical graph::Network from that entry and the attributes:
// parameters are bit-identical, so outputs are too. Layout documented in docs/FILE_FORMATS.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/data/transforms.h"
#include "mipp/graph/network.h"

namespace mipp::io {

struct ModelMetadata {
  std::string architecture;        // zoo id ("resnet20") or a user's name for the model
  std::string dataset;             // dataset the weights were last trained on; "" when untrained
  std::string data_dir;            // the folder its files were read from (absolute); "" = its default place
  // Input normalisation the model was trained with, applied by mipp's data pipeline; the model's
  // forward does not apply it. Empty: inputs are used as given.
  data::Normalization normalization;
  nlohmann::json build = nlohmann::json::object();  // how the architecture was made (zoo spec)
  nlohmann::json history = nlohmann::json::array(); // what was done, in order: {"action": ..., ...}
};

// Extra archive entries beside mipp.json, by name: training checkpoints keep their optimiser state
// and progress there, so a checkpoint is still an ordinary model file.
using ExtraEntries = std::map<std::string, std::string>;

struct Model {
  graph::Network network;
  ModelMetadata metadata;
  ExtraEntries extra;  // only the entries asked for in load_model() that the file has
};

// Name of the archive entry that holds mipp's JSON, and of the one that holds its CRC-32 (the JSON
// holds a CRC-32 of every tensor: a file's weights and graph are both covered).
inline constexpr const char* kMetadataEntry = "mipp.json";
inline constexpr const char* kMetadataChecksumEntry = "mipp.json.crc32";
inline constexpr int kFormatVersion = 1;

// Writes atomically (temp file beside `path`, then rename): on any failure no file is left.
// Throws Error(kIo) when the file cannot be written.
void save_model(const std::string& path, const graph::Network& net, const ModelMetadata& metadata,
                const ExtraEntries& extra = {});

// Throws Error(kNotFound) for a missing file, Error(kCorruption) for a file that is not a
// TorchScript archive or whose mipp.json does not match its tensors, and Error(kNotSupported) for
// a TorchScript file without mipp metadata or of a newer format version.
// `extra_entries` names the extra entries to read when present.
Model load_model(const std::string& path, const std::vector<std::string>& extra_entries = {});

}  // namespace mipp::io

namespace mipp::data {

void to_json(nlohmann::json& j, const Normalization& n);
void from_json(const nlohmann::json& j, Normalization& n);

}  // namespace mipp::data
