#include "mipp/models/zoo.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"

namespace mipp::models {

namespace {

// Small but complete configurations of every zoo model, fast enough for the unit tests.
ModelSpec small_spec(const ZooEntry& e) {
  ModelSpec spec;
  spec.name = e.name;
  spec.num_classes = 7;
  if (e.name.rfind("vgg", 0) == 0 || e.name.rfind("resnet", 0) == 0) spec.width = 0.25;
  if (e.name == "resnet18" || e.name == "resnet34" || e.name == "resnet50") {
    spec.small_stem = true;
    spec.input_shape = {3, 32, 32};
  }
  return spec;
}

bool same_weights(const graph::Network& a, const graph::Network& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (pa[i].first != pb[i].first || !torch::equal(pa[i].second, pb[i].second)) return false;
  }
  return true;
}

}  // namespace

TEST(Zoo, EveryModelBuildsAndRunsForward) {
  torch::NoGradGuard no_grad;
  for (const ZooEntry& e : zoo_entries()) {
    const graph::Network net = build_model(small_spec(e));
    std::vector<int64_t> shape = {2};
    shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
    const at::Tensor y = graph::forward(net, torch::randn(shape)).output;
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 7})) << e.name;
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << e.name;
  }
}

TEST(Zoo, ListsEveryDocumentedModel) {
  std::vector<std::string> names;
  for (const ZooEntry& e : zoo_entries()) names.push_back(e.name);
  for (const char* want : {"mlp", "lenet300", "lenet5", "vgg11", "vgg13", "vgg16", "vgg19", "resnet20", "resnet32",
                           "resnet56", "resnet110", "resnet18", "resnet34", "resnet50"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
}

TEST(Zoo, DepthsAreAsNamed) {
  auto count_weight_layers = [](const std::string& name) {
    ModelSpec spec;
    spec.name = name;
    spec.width = 0.125;
    const graph::Network net = build_model(spec);
    int n = 0;
    for (const graph::Node& node : net.nodes()) {
      // Projection shortcuts are not counted in a ResNet's depth.
      const bool shortcut = node.name.find("downsample") != std::string::npos;
      n += (node.is<graph::Conv2dOp>() || node.is<graph::LinearOp>()) && !shortcut;
    }
    return n;
  };
  EXPECT_EQ(count_weight_layers("vgg11"), 9);  // 8 convs + the CIFAR-style single classifier
  EXPECT_EQ(count_weight_layers("vgg19"), 17);
  EXPECT_EQ(count_weight_layers("resnet20"), 20);
  EXPECT_EQ(count_weight_layers("resnet56"), 56);
  EXPECT_EQ(count_weight_layers("resnet110"), 110);
  EXPECT_EQ(count_weight_layers("resnet34"), 34);
  EXPECT_EQ(count_weight_layers("resnet50"), 50);
}

TEST(Zoo, SameSeedSameWeightsOtherSeedOtherWeights) {
  ModelSpec spec;
  spec.name = "lenet5";
  spec.seed = 5;
  const graph::Network a = build_model(spec), b = build_model(spec);
  EXPECT_TRUE(same_weights(a, b));
  spec.seed = 6;
  EXPECT_FALSE(same_weights(a, build_model(spec)));
}

TEST(Zoo, ConvInitIsKaimingNormalFanOut) {
  ModelSpec spec;
  spec.name = "vgg11";
  const graph::Network net = build_model(spec);
  const at::Tensor w = net.node(net.find("features.8")).params.at("weight");  // 256 x 128 x 3 x 3
  ASSERT_EQ(w.size(0), 256);
  EXPECT_NEAR(w.std().item<double>(), std::sqrt(2.0 / (256 * 9)), 0.002);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.001);
}

TEST(Zoo, LinearInitIsUniformWithinFanInBound) {
  ModelSpec spec;
  spec.name = "lenet300";
  const graph::Network net = build_model(spec);
  const at::Tensor w = net.node(net.find("fc1")).params.at("weight");  // 300 x 784
  const double bound = 1.0 / std::sqrt(784.0);
  EXPECT_LE(w.abs().max().item<double>(), bound);
  EXPECT_GT(w.abs().max().item<double>(), 0.99 * bound);
  EXPECT_NEAR(w.std().item<double>(), bound / std::sqrt(3.0), 0.001);  // std of U(-b, b)
}

TEST(Zoo, WidthMultiplierScalesChannels) {
  ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.5;
  const graph::Network net = build_model(spec);
  EXPECT_EQ(net.node(net.find("conv1")).out_shape.front(), 8);
  EXPECT_EQ(net.node(net.find("layer3.2.conv2")).out_shape.front(), 32);
}

TEST(Zoo, MlpTakesHiddenWidths) {
  ModelSpec spec;
  spec.name = "mlp";
  spec.hidden = {40, 30, 20};
  spec.input_shape = {12};
  const graph::Network net = build_model(spec);
  EXPECT_EQ(net.node(net.find("fc3")).out_shape, (graph::Shape{20}));
  EXPECT_EQ(net.node(net.find("fc4")).out_shape, (graph::Shape{10}));
  EXPECT_EQ(net.find("flatten"), -1);  // a vector input needs no flatten
}

TEST(Zoo, SmallStemKeepsResolution) {
  ModelSpec spec;
  spec.name = "resnet18";
  spec.input_shape = {3, 32, 32};
  spec.width = 0.25;
  spec.small_stem = true;
  graph::Network net = build_model(spec);
  EXPECT_EQ(net.node(net.find("layer1.1.relu2")).out_shape, (graph::Shape{16, 32, 32}));
  EXPECT_EQ(net.find("maxpool"), -1);
  spec.small_stem = false;
  net = build_model(spec);
  EXPECT_EQ(net.node(net.find("layer1.1.relu2")).out_shape, (graph::Shape{16, 8, 8}));
}

TEST(Zoo, ErrorsNameWhatIsWrong) {
  auto message = [](const ModelSpec& spec) -> std::string {
    try {
      build_model(spec);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  ModelSpec spec;
  spec.name = "vgg12";
  EXPECT_NE(message(spec).find("unknown model 'vgg12'"), std::string::npos);
  spec.name = "vgg11";
  spec.input_shape = {1, 28, 28};
  EXPECT_NE(message(spec).find("at least 32x32"), std::string::npos);
  spec.input_shape = {};
  spec.num_classes = 1;
  EXPECT_NE(message(spec).find("num_classes 1"), std::string::npos);
  spec.num_classes = 10;
  spec.hidden = {10};
  EXPECT_NE(message(spec).find("mlp models only"), std::string::npos);
  spec.hidden = {};
  spec.width = 0;
  EXPECT_NE(message(spec).find("width 0"), std::string::npos);
}

TEST(Zoo, SpecRoundTripsThroughJson) {
  ModelSpec spec;
  spec.name = "resnet18";
  spec.num_classes = 100;
  spec.input_shape = {3, 64, 64};
  spec.width = 0.5;
  spec.small_stem = true;
  spec.seed = 9;
  const nlohmann::json j = spec;
  const ModelSpec back = j.get<ModelSpec>();
  EXPECT_EQ(nlohmann::json(back), j);
}

}  // namespace mipp::models
