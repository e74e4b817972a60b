// Importing TorchScript modules written here in C++ (no Python needed): ops become graph ops, the
// imported graph computes what the module computes, and code mipp cannot follow is named with
// the op and its source line rather than misread.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "mipp/graph/analyze.h"
#include "mipp/graph/forward.h"
#include "mipp/io/torchscript_import.h"
#include "support/expect_error.h"
#include "support/temp_dir.h"

namespace mipp::io {

namespace {

// A module with conv [8, 3, 3x3] + batch-norm + fc [10, 128] parameters and the given forward,
// saved as NAME.pt. Inputs are [3, 8, 8]; after a 2x2 pool the conv's output has 8*4*4 = 128 features.
std::string save_module(const testing::TempDir& dir, const std::string& name, const std::string& forward) {
  at::Generator gen = at::detail::createCPUGenerator(7);
  torch::jit::Module m("__torch__." + name);
  m.register_parameter("conv_weight", torch::randn({8, 3, 3, 3}, gen) * 0.3, false);
  m.register_parameter("conv_bias", torch::randn({8}, gen) * 0.1, false);
  m.register_parameter("bn_weight", torch::rand({8}, gen) + 0.5, false);
  m.register_parameter("bn_bias", torch::randn({8}, gen) * 0.1, false);
  m.register_buffer("bn_mean", torch::randn({8}, gen) * 0.1);
  m.register_buffer("bn_var", torch::rand({8}, gen) + 0.5);
  m.register_parameter("fc_weight", torch::randn({10, 128}, gen) * 0.1, false);
  m.register_parameter("fc_bias", torch::randn({10}, gen) * 0.1, false);
  m.define(forward);
  const std::string path = dir.file(name + ".pt");
  m.save(path);
  return path;
}

const char* kHead = R"(
def forward(self, x):
    y = torch.conv2d(x, self.conv_weight, self.conv_bias, [1, 1], [1, 1], [1, 1], 1)
    y = torch.batch_norm(y, self.bn_weight, self.bn_bias, self.bn_mean, self.bn_var, False, 0.1, 1e-5, True)
)";

}  // namespace

TEST(ImportTorchScript, OutputsEqualTheModulesAndEveryChannelIsPrunable) {
  testing::TempDir dir;
  const std::string path = save_module(dir, "Good", std::string(kHead) + R"(
    y = torch.hardtanh(y, 0.0, 6.0)
    y = torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], True)
    y = y.view(y.size(0), -1)
    return torch.linear(y, self.fc_weight, self.fc_bias)
)");
  const Model model = import_torchscript(path, {{3, 8, 8}});
  const graph::Network& net = model.network;
  EXPECT_EQ(model.metadata.architecture, "Good");
  EXPECT_EQ(model.metadata.history.at(0).at("action"), "import");
  EXPECT_EQ(net.output_shape(), graph::Shape{10});

  torch::jit::Module m = torch::jit::load(path);
  const at::Tensor x = torch::randn({4, 3, 8, 8});
  torch::NoGradGuard no_grad;
  const at::Tensor want = m.forward({x}).toTensor();
  EXPECT_TRUE(torch::allclose(graph::forward(net, x).output, want, 1e-5, 1e-5));

  const graph::Analysis a = graph::analyze(net);
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].size, 8);
  EXPECT_EQ(a.groups[0].consumers.at(0).span, 16);  // each conv channel is 4x4 columns of the linear layer
}

TEST(ImportTorchScript, MatrixProductsWithAParameterAreLinearLayers) {
  testing::TempDir dir;
  for (const char* product : {"torch.addmm(self.fc_bias, y, self.fc_weight.t())",
                              "torch.matmul(y, self.fc_weight.t()) + self.fc_bias"}) {
    SCOPED_TRACE(product);
    const std::string path = save_module(dir, "Product", std::string(kHead) + R"(
    y = torch.flatten(torch.max_pool2d(torch.relu(y), [2, 2], [2, 2], [0, 0], [1, 1], False), 1)
    return )" + product + "\n");
    const Model model = import_torchscript(path, {{3, 8, 8}});
    const graph::Network& net = model.network;
    const graph::Node& fc = net.node(net.output());
    ASSERT_TRUE(fc.is<graph::LinearOp>());
    EXPECT_TRUE(fc.as<graph::LinearOp>().bias);
    EXPECT_EQ(fc.name, "linear");
    const at::Tensor x = torch::randn({2, 3, 8, 8});
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::allclose(graph::forward(net, x).output, torch::jit::load(path).forward({x}).toTensor(), 1e-5, 1e-5));
  }
}

TEST(ImportTorchScript, SpatialMeanIsGlobalAveragePooling) {
  testing::TempDir dir;
  const std::string path = save_module(dir, "Mean", std::string(kHead) + R"(
    return torch.silu(y).mean([2, 3])
)");
  const Model model = import_torchscript(path, {{3, 8, 8}});
  EXPECT_EQ(model.network.output_shape(), graph::Shape{8});
  const at::Tensor x = torch::randn({2, 3, 8, 8});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(graph::forward(model.network, x).output, torch::jit::load(path).forward({x}).toTensor(),
                              1e-5, 1e-5));
}

TEST(ImportTorchScript, LiteralViewFreezesTheChannelsBeforeIt) {
  testing::TempDir dir;
  const std::string path = save_module(dir, "Literal", std::string(kHead) + R"(
    y = torch.max_pool2d(torch.relu(y), [2, 2], [2, 2], [0, 0], [1, 1], False)
    y = y.view(-1, 128)
    return torch.linear(y, self.fc_weight, self.fc_bias)
)");
  const Model model = import_torchscript(path, {{3, 8, 8}});
  const auto notes = model.metadata.history.at(0).at("notes");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].get<std::string>().find("hard-codes 128 features"), std::string::npos) << notes[0];
  const graph::Analysis a = graph::analyze(model.network);
  EXPECT_TRUE(a.groups.empty());
  bool named = false;
  for (const std::string& why : a.frozen) named = named || why.find("hard-codes 128 features") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(ImportTorchScript, UnknownOpIsNamedWithItsSourceLine) {
  testing::TempDir dir;
  const std::string path = save_module(dir, "Swish", std::string(kHead) + R"(
    y = y * torch.sigmoid(y)
    y = torch.flatten(torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], False), 1)
    return torch.linear(y, self.fc_weight, self.fc_bias)
)");
  testing::expect_error([&] { import_torchscript(path, {{3, 8, 8}}); }, ErrorKind::kNotSupported,
                        {"Swish.pt", "aten::mul", "`y = y * torch.sigmoid(y)`", "not an op mipp can represent"});
}

TEST(ImportTorchScript, InPlaceChangeThroughAnAliasIsRefused) {
  testing::TempDir dir;
  const std::string path = save_module(dir, "Alias", std::string(kHead) + R"(
    y = torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], False)
    z = torch.flatten(y, 1)
    y.relu_()
    return torch.linear(z, self.fc_weight, self.fc_bias)
)");
  testing::expect_error([&] { import_torchscript(path, {{3, 8, 8}}); }, ErrorKind::kNotSupported,
                        {"Alias.pt", "in-place"});
}

TEST(ImportTorchScript, MissingOrWrongInputShapeIsNamed) {
  testing::TempDir dir;
  const std::string path = save_module(dir, "Shape", std::string(kHead) + R"(
    return torch.linear(torch.flatten(torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], False), 1), self.fc_weight, self.fc_bias)
)");
  testing::expect_error([&] { load_or_import_model(path, {}); }, ErrorKind::kInvalidArgument,
                        {"Shape.pt", "--input-shape"});
  testing::expect_error([&] { import_torchscript(path, {{3, 6, 6}}); }, ErrorKind::kInvalidArgument,
                        {"Shape.pt", "does not run on inputs of shape [N, 3, 6, 6]", "shapes cannot be multiplied"});
}

TEST(ImportTorchScript, MippFilesLoadAsBefore) {
  testing::TempDir dir;
  const std::string path = save_module(dir, "Plain", std::string(kHead) + R"(
    return torch.linear(torch.flatten(torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], False), 1), self.fc_weight, self.fc_bias)
)");
  const Model imported = import_torchscript(path, {{3, 8, 8}});
  save_model(dir.file("mipp.pt"), imported.network, imported.metadata);
  const Model loaded = load_or_import_model(dir.file("mipp.pt"), {});  // no input shape needed
  EXPECT_EQ(loaded.network.num_nodes(), imported.network.num_nodes());
  EXPECT_EQ(loaded.metadata.history, imported.metadata.history);
}

}  // namespace mipp::io
