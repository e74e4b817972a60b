#include "mipp/io/model_file.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>
#include <random>

#include "io/torchscript_source.h"
#include "mipp/io/torchscript_import.h"
#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "mipp/util/error.h"
#include "support/temp_dir.h"
#include "support/tiny_networks.h"

namespace mipp::io {

namespace {

ErrorKind error_kind_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no mipp::Error thrown";
  return ErrorKind::kNumerical;
}

void expect_identical(const graph::Network& a, const graph::Network& b) {
  ASSERT_EQ(a.num_nodes(), b.num_nodes());
  for (int i = 0; i < a.num_nodes(); ++i) {
    const graph::Node &na = a.node(i), &nb = b.node(i);
    EXPECT_EQ(na.name, nb.name);
    EXPECT_EQ(graph::op_name(na.op), graph::op_name(nb.op));
    EXPECT_EQ(na.inputs, nb.inputs);
    EXPECT_EQ(na.out_shape, nb.out_shape);
    ASSERT_EQ(na.params.size(), nb.params.size()) << na.name;
    for (const auto& [key, t] : na.params) EXPECT_TRUE(torch::equal(t, nb.params.at(key))) << na.name << "." << key;
    for (const auto& [key, t] : na.buffers) EXPECT_TRUE(torch::equal(t, nb.buffers.at(key))) << na.name << "." << key;
  }
  EXPECT_EQ(a.output(), b.output());
}

ModelMetadata sample_metadata() {
  ModelMetadata m;
  m.architecture = "tiny";
  m.dataset = "fashion-mnist";
  m.normalization = {{0.286}, {0.353}};
  m.history = nlohmann::json::array({{{"action", "init"}, {"seed", 3}}});
  return m;
}

// Copies the model file `from` to `to` with its mipp.json changed by `edit` (PyTorch rewrites the
// archive, so only the metadata differs).
void rewrite_metadata(const std::string& from, const std::string& to, const std::function<void(nlohmann::json&)>& edit) {
  torch::jit::ExtraFilesMap extra = {{kMetadataEntry, ""}};
  torch::jit::Module m = torch::jit::load(from, torch::kCPU, extra);
  nlohmann::json j = nlohmann::json::parse(extra[kMetadataEntry]);
  edit(j);
  extra[kMetadataEntry] = j.dump();  // saved without its checksum entry, as older files are
  m.save(to, extra);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST(ModelFile, RoundTripIsBitIdenticalForEveryOp) {
  testing::TempDir dir;
  const graph::Network net = testing::all_ops_network(11);
  save_model(dir.file("m.pt"), net, sample_metadata());
  const Model loaded = load_model(dir.file("m.pt"));
  expect_identical(net, loaded.network);
  const at::Tensor x = torch::randn({3, 3, 8, 8});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(graph::forward(net, x).output, graph::forward(loaded.network, x).output));
}

TEST(ModelFile, RoundTripKeepsMetadata) {
  testing::TempDir dir;
  save_model(dir.file("m.pt"), testing::two_layer_mlp(), sample_metadata());
  const ModelMetadata m = load_model(dir.file("m.pt")).metadata;
  EXPECT_EQ(m.architecture, "tiny");
  EXPECT_EQ(m.dataset, "fashion-mnist");
  EXPECT_EQ(m.normalization.mean, std::vector<double>{0.286});
  EXPECT_EQ(m.normalization.std, std::vector<double>{0.353});
  EXPECT_EQ(m.history.at(0).at("seed"), 3);
}

TEST(ModelFile, RoundTripOfEveryZooModel) {
  testing::TempDir dir;
  torch::NoGradGuard no_grad;
  for (const models::ZooEntry& e : models::zoo_entries()) {
    models::ModelSpec spec;
    spec.name = e.name;
    if (e.name.rfind("resnet", 0) == 0 || e.name.rfind("vgg", 0) == 0) spec.width = 0.25;
    if (e.name == "resnet18" || e.name == "resnet34" || e.name == "resnet50") spec.input_shape = {3, 64, 64};
    const graph::Network net = models::build_model(spec);
    const std::string path = dir.file(e.name + ".pt");
    save_model(path, net, {e.name});
    const Model loaded = load_model(path);
    expect_identical(net, loaded.network);
    std::vector<int64_t> shape = {2};
    shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
    const at::Tensor x = torch::randn(shape);
    EXPECT_TRUE(torch::equal(graph::forward(net, x).output, graph::forward(loaded.network, x).output)) << e.name;
  }
}

TEST(ModelFile, TorchScriptModuleComputesTheSameAsForward) {
  testing::TempDir dir;
  const graph::Network net = testing::all_ops_network(5);
  save_model(dir.file("m.pt"), net, sample_metadata());
  torch::jit::Module module = torch::jit::load(dir.file("m.pt"));
  const at::Tensor x = torch::randn({4, 3, 8, 8});
  torch::NoGradGuard no_grad;
  const at::Tensor scripted = module.forward({x}).toTensor();
  EXPECT_LE((scripted - graph::forward(net, x).output).abs().max().item<double>(), 1e-6);
}

TEST(ModelFile, AttributeNamesAreUniqueIdentifiers) {
  graph::Network net({4});
  net.add("a.b", graph::LinearOp{4, 4}, {0});
  net.add("a_b", graph::LinearOp{4, 4}, {1});  // sanitises to the same base name
  const AttributeNames names = make_attribute_names(net);
  EXPECT_EQ(names[1].at("weight"), "a_b_weight");
  EXPECT_EQ(names[2].at("weight"), "a_b_weight_2");
  testing::TempDir dir;
  save_model(dir.file("m.pt"), net, {"clash"});
  expect_identical(net, load_model(dir.file("m.pt")).network);
}

TEST(ModelFile, FailedWriteLeavesNothing) {
  testing::TempDir dir;
  EXPECT_EQ(error_kind_of([&] { save_model(dir.file("missing/m.pt"), testing::two_layer_mlp(), {}); }),
            ErrorKind::kIo);
  EXPECT_EQ(dir.num_entries(), 0);
}

TEST(ModelFile, OverwritesAnExistingFileWhole) {
  testing::TempDir dir;
  save_model(dir.file("m.pt"), testing::all_ops_network(), {"big"});
  save_model(dir.file("m.pt"), testing::two_layer_mlp(), {"small"});
  EXPECT_EQ(load_model(dir.file("m.pt")).metadata.architecture, "small");
  EXPECT_EQ(dir.num_entries(), 1);  // no temp file left behind
}

TEST(ModelFile, MissingFileIsNotFound) {
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model("/nonexistent/model.pt"); }, &message), ErrorKind::kNotFound);
  EXPECT_NE(message.find("/nonexistent/model.pt"), std::string::npos);
}

TEST(ModelFile, GarbageIsCorruption) {
  testing::TempDir dir;
  std::ofstream(dir.file("junk.pt")) << "this is not a zip archive";
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model(dir.file("junk.pt")); }, &message), ErrorKind::kCorruption);
  EXPECT_NE(message.find("junk.pt: not a readable TorchScript archive"), std::string::npos) << message;
}

TEST(ModelFile, TorchScriptWithoutMetadataIsNotSupported) {
  testing::TempDir dir;
  torch::jit::Module m("__torch__.Plain");
  m.define("def forward(self, x):\n    return x\n");
  m.save(dir.file("plain.pt"));
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model(dir.file("plain.pt")); }, &message), ErrorKind::kNotSupported);
  EXPECT_NE(message.find("without mipp metadata"), std::string::npos) << message;
}

TEST(ModelFile, MetadataThatContradictsTheTensorsIsCorruption) {
  testing::TempDir dir;
  // A module whose tensor has a different shape from what its mipp.json graph declares.
  torch::jit::Module m("__torch__.Tampered");
  m.register_parameter("fc_weight", torch::zeros({3, 5}), false);
  m.register_parameter("fc_bias", torch::zeros({3}), false);
  m.define("def forward(self, x):\n    return torch.linear(x, self.fc_weight, self.fc_bias)\n");
  graph::Network net({4});
  net.add("fc", graph::LinearOp{4, 3}, {0});
  save_model(dir.file("good.pt"), net, {"t"});
  torch::jit::ExtraFilesMap extra = {{kMetadataEntry, ""}};
  torch::jit::load(dir.file("good.pt"), torch::kCPU, extra);
  m.save(dir.file("bad.pt"), extra);
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model(dir.file("bad.pt")); }, &message), ErrorKind::kCorruption);
  EXPECT_NE(message.find("fc.weight"), std::string::npos) << message;
}

TEST(ModelFile, NewerFormatVersionIsRefused) {
  testing::TempDir dir;
  save_model(dir.file("m.pt"), testing::two_layer_mlp(), {"v"});
  torch::jit::ExtraFilesMap extra = {{kMetadataEntry, ""}};
  torch::jit::Module m = torch::jit::load(dir.file("m.pt"), torch::kCPU, extra);
  nlohmann::json j = nlohmann::json::parse(extra[kMetadataEntry]);
  j["format_version"] = kFormatVersion + 1;
  extra[kMetadataEntry] = j.dump();
  m.save(dir.file("future.pt"), extra);
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model(dir.file("future.pt")); }, &message), ErrorKind::kNotSupported);
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
}

// A weight changed inside the archive used to load silently (the archive itself has no checksum
// that LibTorch verifies): every tensor now carries a CRC-32 in mipp.json.
TEST(ModelFile, AFlippedWeightByteNamesTheTensor) {
  testing::TempDir dir;
  graph::Network net({4});
  net.add("fc", graph::LinearOp{4, 3}, {0});
  net.set_tensor(1, "weight", torch::arange(12, torch::kFloat).reshape({3, 4}) + 0.5);
  save_model(dir.file("m.pt"), net, {"t"});
  std::string bytes = read_bytes(dir.file("m.pt"));
  const at::Tensor w = net.node(1).params.at("weight");
  const std::string weight_bytes(static_cast<const char*>(w.data_ptr()), w.numel() * sizeof(float));
  const size_t at = bytes.find(weight_bytes);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 17] = static_cast<char>(bytes[at + 17] ^ 0x04);  // a low mantissa bit: still a finite number
  write_bytes(dir.file("flipped.pt"), bytes);
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model(dir.file("flipped.pt")); }, &message), ErrorKind::kCorruption);
  EXPECT_NE(message.find("tensor fc.weight does not match its checksum"), std::string::npos) << message;
}

// One changed storage key in data.pkl lays a.weight (12 floats) over b.bias's 2-float record.
// LibTorch loads that as it is, its reads running past the record's buffer: garbage weights or a
// crash, by the heap (RELIABILITY.md, finding 5). Both loaders must refuse it before LibTorch does.
TEST(ModelFile, AStorageLargerThanItsRecordIsRefused) {
  testing::TempDir dir;
  graph::Network net({4});
  net.add("a", graph::LinearOp{4, 3}, {0});
  net.add("b", graph::LinearOp{3, 2}, {1});
  save_model(dir.file("m.pt"), net, {"t"});
  std::string bytes = read_bytes(dir.file("m.pt"));
  // The pickle holds the tensors in name order, a_bias, a_weight, b_bias, b_weight, their storages
  // named by BINUNICODE keys ('X', a 4-byte length, the text) "0" to "3"; the archive keeps
  // data.pkl uncompressed and LibTorch reads it without checking its CRC.
  const size_t pickle = bytes.find("data.pkl");
  ASSERT_NE(pickle, std::string::npos);
  const size_t key = bytes.find(std::string("X\x01\x00\x00\x00" "1", 6), pickle);
  ASSERT_NE(key, std::string::npos);
  bytes[key + 5] = '2';
  write_bytes(dir.file("bad.pt"), bytes);
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model(dir.file("bad.pt")); }, &message), ErrorKind::kCorruption);
  EXPECT_NE(message.find("record data/2 holds 8 bytes, but a tensor's storage there is 48 bytes"), std::string::npos)
      << message;
  EXPECT_EQ(error_kind_of([&] { import_torchscript(dir.file("bad.pt"), {{4}}); }, &message), ErrorKind::kCorruption);
  EXPECT_NE(message.find("record data/2 holds 8 bytes"), std::string::npos) << message;
  EXPECT_NO_THROW(load_model(dir.file("m.pt")));
}

// Random byte flips anywhere in the file: each either fails with a mipp::Error or loads exactly
// the saved tensors (a flip in a part mipp does not read, such as the TorchScript code's debug
// information). Half of them used to load different weights without an error.
TEST(ModelFile, RandomByteFlipsNeverLoadOtherWeights) {
  testing::TempDir dir;
  const graph::Network net = testing::all_ops_network(3);
  save_model(dir.file("m.pt"), net, {"t"});
  const std::string original = read_bytes(dir.file("m.pt"));
  std::mt19937 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 100; ++trial) {
    std::string bytes = original;
    const size_t at = std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng);
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << std::uniform_int_distribution<int>(0, 7)(rng)));
    write_bytes(dir.file("flipped.pt"), bytes);
    try {
      const Model loaded = load_model(dir.file("flipped.pt"));
      expect_identical(net, loaded.network);
      EXPECT_EQ(loaded.metadata.architecture, "t");
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(ModelFile, NonFiniteWeightsAreRefused) {
  testing::TempDir dir;
  graph::Network net = testing::two_layer_mlp();
  net.set_tensor(1, "bias", torch::full_like(net.node(1).params.at("bias"), std::nan("")));
  save_model(dir.file("nan.pt"), net, {"t"});
  std::string message;
  EXPECT_EQ(error_kind_of([&] { load_model(dir.file("nan.pt")); }, &message), ErrorKind::kCorruption);
  EXPECT_NE(message.find(net.node(1).name + ".bias holds NaN or infinite values"), std::string::npos) << message;
}

// Malformed fields used to escape as json or LibTorch exceptions (exit 1) or to allocate 2^40
// channels; each is a corruption error naming what is wrong.
TEST(ModelFile, MalformedMetadataIsCorruption) {
  testing::TempDir dir;
  save_model(dir.file("m.pt"), testing::two_layer_mlp(), {"t"});
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> cases = {
      {"normalization", [](nlohmann::json& j) { j["normalization"] = "x"; }},
      {"is a Bool, not a tensor",
       [](nlohmann::json& j) {
         for (auto& node : j["graph"]["nodes"]) {
           if (node["op"] == "linear") node["tensors"]["weight"] = "training";
         }
       }},
      {"2^31",
       [](nlohmann::json& j) {
         for (auto& node : j["graph"]["nodes"]) {
           if (node["op"] == "linear") node["attrs"]["out_features"] = int64_t{1} << 40;
         }
       }},
      {"tensor_crc32 is not an object", [](nlohmann::json& j) { j["tensor_crc32"] = 5; }},
      {"graph", [](nlohmann::json& j) { j["graph"]["nodes"] = "none"; }},
  };
  for (const auto& [expected, edit] : cases) {
    rewrite_metadata(dir.file("m.pt"), dir.file("bad.pt"), edit);
    std::string message;
    EXPECT_EQ(error_kind_of([&] { load_model(dir.file("bad.pt")); }, &message), ErrorKind::kCorruption) << expected;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

}  // namespace mipp::io
