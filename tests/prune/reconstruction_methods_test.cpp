// submodular and thinet as methods, and --reweight through the pruning pipeline.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "mipp/pipeline/prune_model.h"
#include "mipp/prune/method.h"
#include "support/expect_error.h"

namespace mipp::prune {

namespace {

graph::Network lenet5() {
  models::ModelSpec spec;
  spec.name = "lenet5";
  return models::build_model(spec);
}

data::Dataset random_images(int64_t n, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  data::Dataset d;
  d.inputs = torch::rand({n, 1, 28, 28}, gen);
  d.labels = torch::randint(0, 10, {n}, gen);
  d.num_classes = 10;
  return d;
}

Selection run(const std::string& method, const graph::Network& net, const data::Dataset& calibration,
              const Budget& budget, nlohmann::json* details = nullptr,
              const nlohmann::json& options = nlohmann::json::object()) {
  const graph::Analysis a = graph::analyze(net);
  auto m = make_method(method, options);
  Selection s = m->select({net, a, &calibration, 3, util::null_sink()}, budget);
  if (details != nullptr) *details = m->details();
  return s;
}

}  // namespace

TEST(SubmodularMethod, LayerScopeKeepsTheSameFractionEverywhereAndReweights) {
  const graph::Network net = lenet5();
  const data::Dataset calibration = random_images(64, 1);
  Budget b;
  b.scope = "layer";
  b.sparsity = 0.5;
  nlohmann::json details;
  const Selection s = run("submodular", net, calibration, b, &details);
  EXPECT_EQ(s.keep[0].size(), 3u);
  EXPECT_EQ(s.keep[1].size(), 8u);
  EXPECT_EQ(s.keep[2].size(), 60u);
  EXPECT_EQ(s.keep[3].size(), 42u);
  ASSERT_TRUE(s.network.has_value());
  for (const auto& layer : details.at("layers")) {
    for (const auto& c : layer.at("consumers")) {
      EXPECT_LE(c.at("error_updated").get<double>(), c.at("error_removed").get<double>() + 1e-12);
    }
  }
  // Same seed, same choice.
  EXPECT_EQ(run("submodular", net, calibration, b).keep, s.keep);
}

TEST(SubmodularMethod, GlobalScopeReachesTheSparsityAndKeepsTheFloor) {
  const graph::Network net = lenet5();
  const data::Dataset calibration = random_images(64, 2);
  Budget b;
  b.sparsity = 0.8;
  b.min_width = 2;
  const Selection s = run("submodular", net, calibration, b);
  EXPECT_NEAR(s.achieved, 0.8, 1.0 / 226 + 1e-9);
  for (const auto& k : s.keep) EXPECT_GE(k.size(), 2u);
}

TEST(ThinetMethod, PrunesEveryLayerAlikeAndItsScalingNeverHurts) {
  const graph::Network net = lenet5();
  const data::Dataset calibration = random_images(64, 3);
  Budget b;  // global: ThiNet turns it into a per-layer budget
  b.sparsity = 0.5;
  nlohmann::json details;
  const Selection s = run("thinet", net, calibration, b, &details);
  EXPECT_EQ(details.at("scope"), "layer");
  EXPECT_EQ(s.keep[1].size(), 8u);
  EXPECT_EQ(s.keep[2].size(), 60u);
  for (const auto& layer : details.at("layers")) {
    for (const auto& c : layer.at("consumers")) {
      EXPECT_LE(c.at("error_updated").get<double>(), c.at("error_removed").get<double>() + 1e-12);
    }
  }
}

TEST(ReconstructionMethods, BadOptionsAreNamed) {
  testing::expect_error([] { make_method("submodular", {{"variant", "sym"}}); }, ErrorKind::kInvalidArgument,
                        {"variant", "sym"});
  testing::expect_error([] { make_method("submodular", {{"epsilon", 1.5}}); }, ErrorKind::kInvalidArgument,
                        {"epsilon 1.5"});
  testing::expect_error([] { make_method("thinet", {{"patches", "some"}}); }, ErrorKind::kInvalidArgument,
                        {"patches", "some"});
  testing::expect_error([] { make_method("thinet", {{"variant", "asym"}}); }, ErrorKind::kInvalidArgument,
                        {"unknown option 'variant'"});
}

TEST(PruneModelReweight, RefitsAnyMethodAndNeedsCalibrationData) {
  io::Model model{lenet5(), {}, {}};
  const data::Dataset calibration = random_images(64, 4);
  pipeline::PruneOptions options;
  options.budget.sparsity = 0.5;
  options.budget.scope = "layer";
  options.reweight = true;
  testing::expect_error([&] { pipeline::prune_model(model, nullptr, nullptr, options, util::null_sink()); },
                        ErrorKind::kInvalidArgument, {"--reweight", "calibration"});
  options.recalibrate_bn = true;  // LeNet-5 has no batch-norm: reported as 0 updated
  const pipeline::PruneResult with = pipeline::prune_model(model, &calibration, nullptr, options, util::null_sink());
  EXPECT_EQ(with.report.at("batch_norms_recalibrated"), 0);
  options.recalibrate_bn = false;
  options.reweight = false;
  const pipeline::PruneResult without = pipeline::prune_model(model, &calibration, nullptr, options, util::null_sink());
  EXPECT_EQ(with.selection.keep, without.selection.keep);
  EXPECT_TRUE(with.report.at("reweight").get<bool>());
  EXPECT_EQ(with.report.at("reweight_layers").size(), 1u);  // one round
  const at::Tensor original = graph::forward(model.network, calibration.inputs).output;
  const double refitted = (graph::forward(with.pruned.network, calibration.inputs).output - original).pow(2).sum().item<double>();
  const double plain = (graph::forward(without.pruned.network, calibration.inputs).output - original).pow(2).sum().item<double>();
  EXPECT_LT(refitted, plain);
}

}  // namespace mipp::prune

namespace mipp::prune {

TEST(SubmodularMethod, EqualAccuracyBudgetReadsVerificationData) {
  const graph::Network net = lenet5();
  const data::Dataset calibration = random_images(32, 5), verification = random_images(50, 6);
  auto m = make_method("submodular", {{"budget", "equal-accuracy"}, {"verification_samples", 50}});
  EXPECT_EQ(m->verification_samples(), 50);
  const graph::Analysis a = graph::analyze(net);
  Budget b;
  b.sparsity = 0.6;
  testing::expect_error([&] { m->select({net, a, &calibration, 0, util::null_sink()}, b); },
                        ErrorKind::kInvalidArgument, {"verification"});
  MethodInputs in{net, a, &calibration, 0, util::null_sink()};
  in.verification = &verification;
  const Selection s = m->select(in, b);
  int64_t kept = 0;
  for (const auto& k : s.keep) kept += static_cast<int64_t>(k.size());
  EXPECT_EQ(kept, 226 - static_cast<int64_t>(std::ceil(0.6 * 226)));
  EXPECT_EQ(m->details().at("equal_accuracy").at("curves").size(), 4u);
}

}  // namespace mipp::prune
