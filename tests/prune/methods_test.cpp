#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/models/zoo.h"
#include "mipp/prune/budget.h"
#include "mipp/prune/method.h"
#include "support/expect_error.h"
#include "support/stop_after.h"
#include "support/tiny_networks.h"

namespace mipp::prune {

namespace {

std::vector<at::Tensor> score_with(const std::string& method, const graph::Network& net, uint64_t seed = 0,
                                   const nlohmann::json& options = nlohmann::json::object()) {
  const graph::Analysis a = graph::analyze(net);
  return make_method(method, options)->score({net, a, nullptr, seed, util::null_sink()});
}

}  // namespace

TEST(RandomMethod, SameSeedSameScores) {
  const graph::Network net = testing::two_layer_mlp();
  EXPECT_TRUE(torch::equal(score_with("random", net, 1)[0], score_with("random", net, 1)[0]));
  EXPECT_FALSE(torch::equal(score_with("random", net, 1)[0], score_with("random", net, 2)[0]));
}

TEST(MagnitudeMethod, ScoresAreRowNorms) {
  const graph::Network net = testing::two_layer_mlp();  // fc1 rows (1, 0), (0, 1), (1, -1)
  const auto l1 = score_with("magnitude", net);
  ASSERT_EQ(l1.size(), 1u);
  EXPECT_TRUE(torch::allclose(l1[0], torch::tensor({1.0, 1.0, 2.0}, torch::kFloat64)));
  const auto l2 = score_with("magnitude", net, 0, {{"norm", 2}});
  EXPECT_NEAR(l2[0][2].item<double>(), std::sqrt(2.0), 1e-12);
}

TEST(MagnitudeMethod, ResidualGroupsSumTheirProducers) {
  models::ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.25;
  const graph::Network net = models::build_model(spec);
  const graph::Analysis a = graph::analyze(net);
  const auto scores = score_with("magnitude", net);
  at::Tensor expected = torch::zeros({a.groups[0].size}, torch::kFloat64);
  for (int p : a.groups[0].producers) {
    expected += net.node(p).params.at("weight").to(torch::kFloat64).flatten(1).abs().sum(1);
  }
  EXPECT_TRUE(torch::allclose(scores[0], expected));
}

TEST(BnScaleMethod, ScoresAreAbsoluteGammas) {
  models::ModelSpec spec;
  spec.name = "vgg11";
  spec.width = 0.125;
  graph::Network net = models::build_model(spec);
  const at::Tensor gamma = torch::linspace(-1, 1, 8);
  net.set_tensor(net.find("features.1"), "weight", gamma);
  const auto scores = score_with("bn-scale", net);
  EXPECT_TRUE(torch::allclose(scores[0], gamma.abs().to(torch::kFloat64)));
}

TEST(BnScaleMethod, NeedsBatchNorm) {
  models::ModelSpec spec;
  spec.name = "lenet5";
  testing::expect_error([&] { score_with("bn-scale", models::build_model(spec)); }, ErrorKind::kInvalidArgument,
                        {"conv1", "no batch-norm"});
}

TEST(MethodRegistry, EveryMethodThatReportsProgressStopsWhenToldTo) {
  const graph::Network net = testing::conv_bn_net(0);
  const graph::Analysis a = graph::analyze(net);
  const data::Dataset calibration = testing::random_calibration(net, 512, 3, 0);
  int asking = 0;
  for (const MethodInfo& info : method_list()) {
    testing::StopAfter refuse(1);  // refuses the first step, as Ctrl-C does
    const auto method = make_method(info.name);
    try {
      Budget budget;
      budget.sparsity = 0.5;
      method->select({net, a, &calibration, 0, refuse}, budget);
      EXPECT_EQ(refuse.asked(), 0) << info.name << " went on after the sink asked it to stop";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCancelled) << info.name << ": " << e.what();
      EXPECT_EQ(refuse.asked(), 1) << info.name << " asked again after being told to stop";
      ++asking;
    }
  }
  EXPECT_GE(asking, 5) << "the data-driven methods report progress";
}

TEST(MethodRegistry, UnknownNamesAndOptionsAreNamed) {
  testing::expect_error([] { make_method("snap"); }, ErrorKind::kNotFound, {"snap", "magnitude"});
  testing::expect_error([] { make_method("magnitude", {{"nrom", 2}}); }, ErrorKind::kInvalidArgument, {"nrom"});
  testing::expect_error([] { make_method("magnitude", {{"norm", 3}}); }, ErrorKind::kInvalidArgument, {"norm 3"});
  EXPECT_GE(method_list().size(), 3u);
}

}  // namespace mipp::prune
