#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <limits>
#include <map>
#include <numeric>

#include "mipp/data/synthetic.h"
#include "mipp/graph/analyze.h"
#include "mipp/graph/forward.h"
#include "mipp/graph/slice.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/method.h"
#include "prune/methods/mipp/target_components.h"
#include "prune/methods/mipp/terc.h"
#include "prune/methods/mipp/unit_features.h"
#include "support/expect_error.h"
#include "support/stop_after.h"
#include "support/temp_dir.h"
#include "support/tiny_networks.h"

namespace mipp::prune {

namespace {

using nlohmann::json;

// An MLP 16 -> 24 -> 12 -> 4 trained on nothing (random weights), with teacher data: MIPP's
// decisions only need activations.
graph::Network mlp() {
  models::ModelSpec spec;
  spec.name = "mlp";
  spec.num_classes = 4;
  spec.input_shape = {16};
  spec.hidden = {24, 12};
  spec.seed = 3;
  return models::build_model(spec);
}

// mlp() with two units of hidden layer 1 (fc1, 24 units) that carry nothing of their own: unit 5
// duplicates unit 2, unit 7 is dead (always 0 after ReLU).
graph::Network mlp_with_a_duplicate_and_a_dead_unit() {
  graph::Network net = mlp();
  const int fc1 = net.find("fc1");
  at::Tensor w = net.node(fc1).params.at("weight").clone(), b = net.node(fc1).params.at("bias").clone();
  w[5] = w[2];
  b[5] = b[2];
  w[7].zero_();
  b[7] = -1;
  net.set_tensor(fc1, "weight", w);
  net.set_tensor(fc1, "bias", b);
  return net;
}

// LeNet-5 at initialisation, for the tests that prune a conv network.
graph::Network lenet5() {
  models::ModelSpec spec;
  spec.name = "lenet5";
  return models::build_model(spec);
}

data::Dataset teacher(int64_t n) {
  data::TeacherOptions o;
  o.num_samples = n;
  o.num_features = 16;
  return data::teacher_dataset(o, 11);
}

data::Dataset images(int64_t n, uint64_t seed) {
  data::Dataset d;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  d.inputs = at::randn({n, 1, 28, 28}, gen);
  return d;
}

Selection select_with(const graph::Network& net, const data::Dataset& calibration, const json& options,
                      const Budget& budget, util::EventSink& sink = util::null_sink(), const std::string& checkpoint = "",
                      bool resume = false) {
  const graph::Analysis a = graph::analyze(net);
  auto method = make_method("mipp", options);
  return method->select({net, a, &calibration, 0, sink, checkpoint, resume}, budget);
}

// Correlation of the first column of `scores` with the centred `column`.
double correlation_of_first(const at::Tensor& scores, const at::Tensor& column) {
  const at::Tensor first = scores.select(1, 0) - scores.select(1, 0).mean();
  return (first * column).sum().item<double>() / (first.norm() * column.norm()).item<double>();
}

}  // namespace

TEST(MippMethod, RemovesDuplicatedAndDeadUnitsAndKeepsTheRest) {
  const graph::Network net = mlp_with_a_duplicate_and_a_dead_unit();
  const graph::Analysis a = graph::analyze(net);
  ASSERT_EQ(a.groups[0].name, "fc1");
  // Closed form and by refits; against the next layer's activations and its pre-activations. The
  // pre-activations are an exact linear function of fc1's units, so the linear fit leaves no
  // residual and the test alone finds even a duplicate significant: a loss threshold decides.
  struct Setting {
    std::string estimator, next_layer;
    double loss_threshold;
  };
  for (const Setting& setting : {Setting{"linear", "activations", 0.0}, Setting{"gaussian", "activations", 0.0},
                                 Setting{"linear", "pre-activations", 1e-4}}) {
    SCOPED_TRACE(setting.estimator + " " + setting.next_layer);
    const Selection s = select_with(net, teacher(2000),
                                    {{"mode", "confidence"},
                                     {"confidence", 0.95},
                                     {"loss_threshold", setting.loss_threshold},
                                     {"estimator", setting.estimator},
                                     {"next_layer", setting.next_layer}},
                                    Budget{});
    const std::vector<int64_t>& keep = s.keep[0];
    EXPECT_EQ(std::count(keep.begin(), keep.end(), 7), 0) << "the dead unit stays";
    EXPECT_EQ(std::count(keep.begin(), keep.end(), 2) + std::count(keep.begin(), keep.end(), 5), 1)
        << "exactly one of two identical units must stay";
    EXPECT_EQ(keep.size(), 22u) << "every other unit adds information";
  }
}

TEST(MippMethod, SparsityModeReachesTheTargetWithinOnePoint) {
  const graph::Network net = lenet5();
  const data::Dataset calibration = images(512, 1);
  Budget budget;
  budget.sparsity = 0.6;
  budget.min_width = 2;
  const Selection s = select_with(net, calibration, json::object(), budget);
  EXPECT_NEAR(s.achieved, 0.6, 0.01);
  const graph::Analysis a = graph::analyze(net);
  for (const graph::Group& g : a.groups) {
    EXPECT_GE(s.keep[g.id].size(), 2u) << g.name;
    EXPECT_TRUE(std::is_sorted(s.keep[g.id].begin(), s.keep[g.id].end()));
  }
  EXPECT_EQ(select_with(net, calibration, json::object(), budget).keep, s.keep) << "not deterministic";
  budget.target = "macs";
  EXPECT_NEAR(select_with(net, calibration, json::object(), budget).achieved, 0.6, 0.01);
}

// The search reuses a layer's decisions from an earlier run whenever the new threshold would decide
// every tested unit the same way; that must change nothing but the work done.
TEST(MippMethod, SearchReusesUnchangedLayersWithoutChangingTheResult) {
  const graph::Network net = lenet5();
  const graph::Analysis a = graph::analyze(net);
  const data::Dataset calibration = images(512, 1);
  Budget budget;
  budget.sparsity = 0.6;
  for (const std::string visit : {"information", "greedy"}) {
    SCOPED_TRACE(visit);
    auto searched = make_method("mipp", {{"visit", visit}});
    const Selection s = searched->select({net, a, &calibration, 0, util::null_sink(), "", false}, budget);
    const json d = searched->details();
    ASSERT_GT(d.at("search").size(), 2u);
    int64_t fits_if_refit = 0;
    for (const json& layer : d.at("layers")) fits_if_refit += layer.at("fits").get<int64_t>();
    fits_if_refit *= static_cast<int64_t>(d.at("search").size());  // every run refitting every layer
    EXPECT_LT(d.at("search_estimator_fits").get<int64_t>(), fits_if_refit);

    // One run at the threshold the search chose, with nothing to reuse, decides the same.
    auto direct = make_method("mipp", {{"mode", "confidence"},
                                       {"loss_threshold", d.at("loss_threshold")},
                                       {"confidence", d.at("confidence")},
                                       {"visit", visit}});
    EXPECT_EQ(direct->select({net, a, &calibration, 0, util::null_sink(), "", false}, budget).keep, s.keep);
  }
}

// Greedy visiting: each removal is the removable unit whose removal costs least at that step
// (checked against the elimination's own tests, replayed), and a higher loss threshold only
// continues the same sequence of removals.
TEST(MippTerc, GreedyVisitRemovesTheCheapestRemovableUnitEachStep) {
  const graph::Network net = mlp();
  const graph::Analysis a = graph::analyze(net);
  const mipp_method::CalibrationFeatures f =
      mipp_method::compute_features(net, a, teacher(1000), 1, 256, false, util::null_sink());
  info::EliminationProblem problem;
  problem.x = f.groups[0].columns;  // fc1's 24 units
  problem.y = f.groups[1].columns;  // explain fc2's 12
  problem.units = f.groups[0].unit_columns;
  auto make = [&] { return info::make_elimination("linear", {{"ridge", 1e-6}}, problem); };
  const double lambda = -std::log1p(-0.95);
  auto removals = [](const mipp_method::LayerDecision& d) {
    std::vector<int64_t> out;
    for (const auto& r : d.units) {
      if (r.decision == "removed") out.push_back(r.unit);
    }
    return out;
  };
  auto run = [&](double threshold) {
    auto e = make();
    return mipp_method::eliminate_units(*e, "fc1", 24, 1, 1, lambda, threshold, util::null_sink(),
                                        mipp_method::Visit::kGreedy);
  };
  const mipp_method::LayerDecision all = run(10);  // every loss is below 10: down to the floor
  ASSERT_TRUE(all.at_floor);
  ASSERT_EQ(removals(all).size(), 23u);
  // Thresholds just above the dearest of the first 3 and of the first 8 removals.
  auto above_first = [&](size_t k) {
    double dearest = 0;
    for (size_t i = 0; i < k; ++i) dearest = std::max(dearest, all.units[i].loss_increase);
    return dearest * (1 + 1e-9);
  };
  const double t_few = above_first(3), t_many = above_first(8);
  const mipp_method::LayerDecision few = run(t_few), many = run(t_many);
  const std::vector<int64_t> first = removals(few), second = removals(many), whole = removals(all);
  ASSERT_GE(first.size(), 3u);
  ASSERT_GE(second.size(), 8u);
  ASSERT_GT(second.size(), first.size());
  EXPECT_TRUE(std::equal(first.begin(), first.end(), whole.begin())) << "the same removals, stopped earlier";
  EXPECT_TRUE(std::equal(second.begin(), second.end(), whole.begin()));
  EXPECT_TRUE(mipp_method::decides_the_same(few, lambda, t_few));
  EXPECT_FALSE(mipp_method::decides_the_same(few, lambda, t_many)) << "a higher threshold removes more";

  auto replay = make();
  std::vector<int64_t> active(24);
  std::iota(active.begin(), active.end(), 0);
  for (int64_t removed : second) {
    // Units the test finds not significant go first, then the smallest loss increase.
    int64_t cheapest = -1;
    std::pair<bool, double> cheapest_key{true, std::numeric_limits<double>::infinity()};
    for (int64_t u : active) {
      const info::UnitTest t = replay->test(u);
      const std::pair<bool, double> key{t.log_p_value <= -lambda, t.loss_increase};
      if (key < cheapest_key) {
        cheapest_key = key;
        cheapest = u;
      }
    }
    EXPECT_EQ(removed, cheapest);
    replay->remove(removed);
    active.erase(std::find(active.begin(), active.end(), removed));
  }
  for (const auto& r : many.units) {
    if (r.decision == "kept") EXPECT_GE(r.loss_increase, t_many) << "unit " << r.unit;
  }
}

// threshold_per cost: a group's loss threshold is the search's threshold times what one of its
// units costs relative to the mean unit, so every layer stops at the same loss per parameter.
TEST(MippMethod, CostThresholdScalesEachLayersThresholdByTheParametersOfItsUnits) {
  const graph::Network net = lenet5();
  const graph::Analysis a = graph::analyze(net);
  const data::Dataset calibration = images(512, 1);
  Budget budget;
  budget.sparsity = 0.6;
  budget.target = "params";
  auto method = make_method("mipp", {{"threshold_per", "cost"}});
  const Selection s = method->select({net, a, &calibration, 0, util::null_sink(), "", false}, budget);
  EXPECT_NEAR(s.achieved, 0.6, 0.01);
  const json d = method->details();
  const json& scale = d.at("threshold_scale");
  // One unit's parameters, by hand: its own weights and bias, and what it feeds in the next layer.
  const double conv1 = 1 * 25 + 1 + 16 * 25, conv2 = 6 * 25 + 1 + 25 * 120, fc1 = 400 + 1 + 84, fc2 = 120 + 1 + 10;
  EXPECT_NEAR(scale.at("conv2").get<double>() / scale.at("fc2").get<double>(), conv2 / fc2, 1e-9);
  EXPECT_NEAR(scale.at("conv1").get<double>() / scale.at("fc1").get<double>(), conv1 / fc1, 1e-9);
  const double mean = (6 * conv1 + 16 * conv2 + 120 * fc1 + 84 * fc2) / (6 + 16 + 120 + 84);
  EXPECT_NEAR(scale.at("fc1").get<double>(), fc1 / mean, 1e-9);
  // Every tested unit was decided against its own layer's threshold.
  const double lambda = -std::log1p(-d.at("confidence").get<double>());
  const double threshold = d.at("loss_threshold").get<double>();
  int tested = 0;
  for (const json& layer : d.at("layers")) {
    const double own = threshold * scale.at(layer.at("group").get<std::string>()).get<double>();
    for (const json& u : layer.at("units")) {
      const std::string decision = u.at("decision");
      if (decision != "kept" && decision != "removed") continue;
      ++tested;
      const bool keep = u.at("log_p_value").get<double>() <= -lambda && u.at("loss_increase").get<double>() >= own;
      EXPECT_EQ(keep, decision == "kept") << layer.at("group") << " unit " << u.at("unit");
    }
  }
  EXPECT_GT(tested, 100);
  EXPECT_EQ(method->title(), "MIPP (linear-Gaussian, threshold_per cost)");
  testing::expect_error([&] { make_method("mipp", {{"threshold_per", "mac"}}); }, ErrorKind::kInvalidArgument,
                        {"threshold_per 'mac'", "unit or cost"});
}

// The paper's order decides the outputs' side first, so a group explains only the kept units of
// the next; inputs-first decides fc1 before fc2 and so against all of fc2's units.
TEST(MippMethod, InputsFirstOrderExplainsTheNextLayerUnpruned) {
  const graph::Network net = mlp();
  const graph::Analysis a = graph::analyze(net);
  const data::Dataset calibration = teacher(1000);
  Budget budget;
  budget.sparsity = 0.5;
  auto target_width = [&](const std::string& order, const std::string& group, std::string* first) {
    auto method = make_method("mipp", {{"order", order}});
    method->select({net, a, &calibration, 0, util::null_sink(), "", false}, budget);
    const json layers = method->details().at("layers");
    *first = layers.at(0).at("group").get<std::string>();
    for (const json& l : layers) {
      if (l.at("group") == group) return l.at("target_columns").get<int64_t>();
    }
    return int64_t{-1};
  };
  std::string first;
  EXPECT_EQ(target_width("inputs-first", "fc1", &first), 12) << "fc2's 12 units, none removed yet";
  EXPECT_EQ(first, "fc1");
  EXPECT_LT(target_width("outputs-first", "fc1", &first), 12) << "fc2's kept units";
  EXPECT_EQ(first, "fc2");
  testing::expect_error([&] { make_method("mipp", {{"order", "random"}}); }, ErrorKind::kInvalidArgument,
                        {"order 'random'", "outputs-first or inputs-first"});
}

// A group's pre-activations are what its layer computes from the layer before before the activation:
// for fc2 of the MLP, exactly fc1's activations times fc2's weights plus its bias.
TEST(MippFeatures, PreActivationsAreTheLayersLinearOutput) {
  const graph::Network net = mlp();
  const graph::Analysis a = graph::analyze(net);
  ASSERT_EQ(a.groups.size(), 2u);
  ASSERT_EQ(a.groups[1].name, "fc2");
  const mipp_method::CalibrationFeatures f =
      mipp_method::compute_features(net, a, teacher(300), 1, 64, true, util::null_sink());
  const graph::Node& fc2 = net.node(net.find("fc2"));
  const at::Tensor expected =
      at::addmm(fc2.params.at("bias"), f.groups[0].columns, fc2.params.at("weight").t());
  ASSERT_TRUE(f.groups[1].pre_activations.defined());
  EXPECT_TRUE(at::allclose(f.groups[1].pre_activations, expected, 1e-5, 1e-5));
  EXPECT_TRUE((f.groups[1].columns >= 0).all().item<bool>()) << "the activations are after the ReLU";
  EXPECT_TRUE((f.groups[1].pre_activations < 0).any().item<bool>()) << "the pre-activations are before it";
  const mipp_method::CalibrationFeatures without =
      mipp_method::compute_features(net, a, teacher(300), 1, 64, false, util::null_sink());
  EXPECT_FALSE(without.groups[1].pre_activations.defined()) << "only computed when asked for";
  testing::expect_error([&] { make_method("mipp", {{"next_layer", "logits"}}); }, ErrorKind::kInvalidArgument,
                        {"next_layer 'logits'", "activations or pre-activations"});
}

TEST(MippMethod, ResumedRunEqualsUninterruptedRun) {
  const graph::Network net = mlp();
  const data::Dataset calibration = teacher(1000);
  Budget budget;
  budget.sparsity = 0.5;
  const Selection full = select_with(net, calibration, json::object(), budget);
  testing::TempDir dir;
  const std::string checkpoint = dir.file("state.jsonl");
  testing::StopAfter stop(40);
  testing::expect_error([&] { select_with(net, calibration, json::object(), budget, stop, checkpoint); },
                        ErrorKind::kCancelled, {"interrupted"});
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  EXPECT_EQ(select_with(net, calibration, json::object(), budget, util::null_sink(), checkpoint, true).keep, full.keep);
  // A checkpoint of other options is refused, not silently mixed in.
  testing::expect_error(
      [&] { select_with(net, calibration, {{"pool", 2}}, budget, util::null_sink(), checkpoint, true); },
      ErrorKind::kInvalidArgument, {"state.json", "another model"});
}

TEST(MippMethod, GroupsTooWideForTheCalibrationSetAreKeptWholeAndLeftOutOfTheBudget) {
  const graph::Network net = mlp();  // fc1: 24 units read by fc2 (12); fc2 read by the 4 outputs
  const graph::Analysis a = graph::analyze(net);
  auto method = make_method("mipp");
  Budget budget;
  budget.sparsity = 0.5;
  const data::Dataset calibration = teacher(30);  // fc2 needs 12 + 4 + 2 = 18 samples, fc1 24 + 12 + 2 = 38
  const Selection s = method->select({net, a, &calibration, 0, util::null_sink()}, budget);
  EXPECT_EQ(s.keep[0].size(), 24u) << "fc1 is kept whole";
  EXPECT_NEAR(static_cast<double>(s.keep[1].size()), 6.0, 1.0) << "half of fc2, the one group mipp could test";
  const json d = method->details();
  EXPECT_EQ(d.at("kept_whole"), json({"fc1"}));
  const json& fc1 = d.at("layers")[1];
  ASSERT_EQ(fc1.at("group"), "fc1");
  EXPECT_NE(fc1.at("skipped").get<std::string>().find("need at least 38 calibration samples"), std::string::npos)
      << fc1.dump();
  EXPECT_FALSE(d.at("layers")[0].contains("skipped"));

  const data::Dataset tiny = teacher(10);
  testing::expect_error([&] { method->select({net, a, &tiny, 0, util::null_sink()}, budget); },
                        ErrorKind::kInvalidArgument, {"10 calibration samples", "too few to test any layer", "38"});
}

TEST(MippMethod, SparsityModeLowersTheTestLevelWhenTheTestAloneRemovesTooMuch) {
  const graph::Network net = mlp();
  const graph::Analysis a = graph::analyze(net);
  const data::Dataset calibration = teacher(60);  // few samples and a strict test: most units fail it
  const double strict = 1 - 1e-8;
  Budget budget;
  budget.sparsity = 0.2;
  auto confidence_mode = make_method("mipp", {{"mode", "confidence"}, {"confidence", strict}});
  const Selection alone = confidence_mode->select({net, a, &calibration, 0, util::null_sink()}, budget);
  ASSERT_GT(alone.achieved, 0.4) << "the premise: the test alone removes far more than 20%";
  auto method = make_method("mipp", {{"confidence", strict}});
  const Selection s = method->select({net, a, &calibration, 0, util::null_sink()}, budget);
  EXPECT_NEAR(s.achieved, 0.2, 0.03);
  EXPECT_LT(method->details().at("confidence").get<double>(), strict);
}

TEST(MippTargetComponents, KeepTheDirectionsOfMostVariance) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor factors = at::randn({500, 2}, gen);
  // Six columns driven by two factors, one constant column and a little noise.
  at::Tensor y = at::cat({factors.mm(at::randn({2, 6}, gen)) + 0.01 * at::randn({500, 6}, gen),
                          at::full({500, 1}, 3.0)},
                         1);
  EXPECT_TRUE(mipp_method::leading_components(y, 7).equal(y)) << "narrow enough targets are left alone";
  const at::Tensor z = mipp_method::leading_components(y, 3);
  ASSERT_EQ(z.size(0), 500);
  ASSERT_EQ(z.size(1), 3);
  const at::Tensor variance = z.var(0);
  EXPECT_GT(variance[0].item<double>(), variance[1].item<double>());
  EXPECT_LT(variance[2].item<double>(), 1e-3 * variance[1].item<double>()) << "two factors carry it all";
  // The two leading components explain the standardised columns: least-squares R^2 near 1.
  const at::Tensor ys = y.narrow(1, 0, 6);
  const at::Tensor centered = (ys - ys.mean(0)) / ys.std(0);
  const at::Tensor basis = at::cat({z.narrow(1, 0, 2), at::ones({500, 1})}, 1);
  const at::Tensor fit = basis.mm(std::get<0>(at::linalg_lstsq(basis, centered)));
  EXPECT_LT((centered - fit).pow(2).sum().item<double>() / centered.pow(2).sum().item<double>(), 1e-3);
  // In the columns' own scale a column 100 times larger than the others is the leading component.
  at::Tensor loud = y.clone();
  loud.select(1, 4).add_(100 * at::randn({500}, gen));
  const at::Tensor own = mipp_method::leading_components(loud, 3, /*standardise=*/false);
  const at::Tensor column = loud.select(1, 4) - loud.select(1, 4).mean();
  EXPECT_GT(std::abs(correlation_of_first(own, column)), 0.999);
  EXPECT_LT(std::abs(correlation_of_first(mipp_method::leading_components(loud, 3), column)), 0.9)
      << "standardised, it is one column among six";
}

// Variance weighting changes the loss each unit is judged by (the squared error of its target in
// the target's own scale), not the test: the first unit visited has the same p-value either way.
TEST(MippMethod, VarianceWeightingMeasuresTheLossInTheTargetsOwnScale) {
  const graph::Network net = mlp();
  const data::Dataset calibration = teacher(1000);
  Budget budget;
  budget.sparsity = 0.5;
  const graph::Analysis a = graph::analyze(net);
  auto equal = make_method("mipp", {{"next_layer", "pre-activations"}});
  auto variance = make_method("mipp", {{"next_layer", "pre-activations"}, {"target_weighting", "variance"}});
  const Selection s = variance->select({net, a, &calibration, 0, util::null_sink()}, budget);
  equal->select({net, a, &calibration, 0, util::null_sink()}, budget);
  EXPECT_NEAR(s.achieved, 0.5, 0.02);
  const json e = equal->details().at("layers")[0].at("units")[0];
  const json v = variance->details().at("layers")[0].at("units")[0];
  ASSERT_EQ(e.at("unit"), v.at("unit")) << "the visiting order does not depend on the weights";
  EXPECT_DOUBLE_EQ(e.at("log_p_value").get<double>(), v.at("log_p_value").get<double>());
  EXPECT_GT(std::abs(e.at("loss_increase").get<double>() - v.at("loss_increase").get<double>()),
            1e-3 * e.at("loss_increase").get<double>());
  EXPECT_EQ(variance->title(), "MIPP (linear-Gaussian, next_layer pre-activations, target_weighting variance)");
  testing::expect_error([&] { make_method("mipp", {{"target_weighting", "norm"}}); }, ErrorKind::kInvalidArgument,
                        {"target_weighting 'norm'", "equal or variance"});
  testing::expect_error([&] { make_method("mipp", {{"target_weighting", "variance"}, {"estimator", "mlp"}}); },
                        ErrorKind::kInvalidArgument, {"target_weighting variance", "linear estimator", "mlp"});
}

// Block-local residual targets: a residual group's branches are what each producer adds to the
// sum (its batch-norm's output, before the add), and a block's inner conv explains only its own
// block's branch, on the stage's kept channels.
TEST(MippMethod, BranchResidualTargetExplainsTheBlocksOwnBranch) {
  models::ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.25;
  const graph::Network net = models::build_model(spec);
  const graph::Analysis a = graph::analyze(net);
  data::Dataset calibration = testing::random_calibration(net, 512, 10, 3);
  calibration.inputs = calibration.inputs.to(at::kFloat);
  const mipp_method::CalibrationFeatures f =
      mipp_method::compute_features(net, a, calibration, 1, 128, false, util::null_sink(), true);
  int residual = 0;
  for (const graph::Group& g : a.groups) {
    const auto& branches = f.groups[static_cast<size_t>(g.id)].branches;
    if (!g.is_residual()) {
      EXPECT_TRUE(branches.empty()) << g.name;
      continue;
    }
    ++residual;
    ASSERT_EQ(branches.size(), g.producers.size()) << g.name;
    for (size_t i = 0; i < g.producers.size(); ++i) {
      int bn = g.producers[i];
      for (const graph::Node& node : net.nodes()) {
        if (node.is<graph::BatchNormOp>() && node.inputs.at(0) == g.producers[i]) bn = net.find(node.name);
      }
      ASSERT_NE(bn, g.producers[i]) << "every producer of this net is followed by a batch-norm";
      graph::ForwardOptions fo;
      fo.taps = {bn};
      torch::NoGradGuard no_grad;
      const at::Tensor expected = graph::forward(net, calibration.inputs, fo).taps.at(bn).mean({2, 3});
      EXPECT_TRUE(at::allclose(branches[i], expected, 1e-4, 1e-5)) << g.name << " producer " << i;
    }
  }
  ASSERT_EQ(residual, 3) << "one residual group per stage";

  auto method = make_method("mipp", {{"residual_target", "branch"}});
  EXPECT_EQ(method->title(), "MIPP (linear-Gaussian, residual_target branch)");
  Budget budget;
  budget.sparsity = 0.5;
  const Selection s = method->select({net, a, &calibration, 0, util::null_sink()}, budget);
  EXPECT_NEAR(s.achieved, 0.5, 0.05);
  std::map<std::string, json> layers;
  const json details = method->details();  // by value: iterate a copy that lives through the loop
  for (const json& layer : details.at("layers")) layers[layer.at("group")] = layer;
  int inner = 0;
  for (const graph::Group& g : a.groups) {
    if (g.is_residual() || g.consumers.size() != 1) continue;
    for (const graph::Group& stage : a.groups) {
      const auto& p = stage.producers;
      if (!stage.is_residual() || std::find(p.begin(), p.end(), g.consumers[0].node) == p.end()) continue;
      ++inner;  // g feeds one block's last conv: its target is that block's branch on the kept channels
      EXPECT_EQ(layers.at(g.name).at("target_columns").get<size_t>(), layers.at(stage.name).at("keep").size()) << g.name;
    }
  }
  EXPECT_EQ(inner, 9) << "one inner conv per block";
  testing::expect_error([&] { make_method("mipp", {{"residual_target", "block"}}); }, ErrorKind::kInvalidArgument,
                        {"residual_target 'block'", "stage or branch"});
}

// Widths fixed by the budget: every layer keeps the layer scope's count, the test still chooses
// which units go (the dead and the duplicate first), and each layer's searched threshold decides
// every unit it tested.
TEST(MippMethod, UniformWidthsKeepTheLayerScopesCountsAndTheTestChoosesTheUnits) {
  {
    const graph::Network net = lenet5();
    const graph::Analysis a = graph::analyze(net);
    const data::Dataset calibration = images(512, 1);
    Budget budget;
    budget.sparsity = 0.6;
    const std::map<std::string, size_t> counts = {{"conv1", 3}, {"conv2", 7}, {"fc1", 48}, {"fc2", 34}};
    for (const std::string visit : {"information", "greedy"}) {
      SCOPED_TRACE(visit);
      auto method = make_method("mipp", {{"widths", "uniform"}, {"visit", visit}});
      const Selection s = method->select({net, a, &calibration, 0, util::null_sink(), "", false}, budget);
      for (const graph::Group& g : a.groups) EXPECT_EQ(s.keep[g.id].size(), counts.at(g.name)) << g.name;
      EXPECT_TRUE(s.at_min_width.empty()) << "the width is not the floor";
      const json d = method->details();
      EXPECT_TRUE(d.at("loss_threshold").is_null());
      EXPECT_EQ(d.at("widths"), "uniform");
      const double lambda = -std::log1p(-d.at("confidence").get<double>());
      for (const json& layer : d.at("layers")) {
        const std::string group = layer.at("group");
        const auto searched = std::find_if(d.at("search").begin(), d.at("search").end(),
                                           [&](const json& r) { return r.at("group") == group; });
        ASSERT_NE(searched, d.at("search").end()) << group;
        const double threshold = searched->at("loss_threshold");
        for (const json& u : layer.at("units")) {
          const std::string decision = u.at("decision");
          if (decision != "kept" && decision != "removed") continue;
          const bool keep = u.at("log_p_value").get<double>() <= -lambda && u.at("loss_increase").get<double>() >= threshold;
          EXPECT_EQ(keep, decision == "kept") << group << " unit " << u.at("unit");
        }
      }
      // --scope layer fixes the same widths without the option.
      Budget by_layer = budget;
      by_layer.scope = "layer";
      EXPECT_EQ(select_with(net, calibration, {{"visit", visit}}, by_layer).keep, s.keep);
    }
    EXPECT_EQ(make_method("mipp", {{"widths", "uniform"}})->title(), "MIPP (linear-Gaussian, widths uniform)");
  }
  const graph::Network net = mlp_with_a_duplicate_and_a_dead_unit();
  Budget custom;  // a per-group scope: two of fc1's units go, fc2 stays whole
  custom.scope = "custom";
  custom.layer_sparsity = {{"fc1", 2.0 / 24}};
  const Selection s = select_with(net, teacher(2000), json::object(), custom);
  const std::vector<int64_t>& keep = s.keep[0];
  EXPECT_EQ(keep.size(), 22u);
  EXPECT_EQ(std::count(keep.begin(), keep.end(), 7), 0) << "the dead unit stays";
  EXPECT_EQ(std::count(keep.begin(), keep.end(), 2) + std::count(keep.begin(), keep.end(), 5), 1);
  EXPECT_EQ(s.keep[1].size(), 12u);
}

TEST(MippMethod, ReportsEveryUnitsTest) {
  const graph::Network net = mlp();
  const graph::Analysis a = graph::analyze(net);
  auto method = make_method("mipp");
  Budget budget;
  budget.sparsity = 0.4;
  const data::Dataset calibration = teacher(800);
  method->select({net, a, &calibration, 0, util::null_sink()}, budget);
  const json d = method->details();
  ASSERT_EQ(d.at("layers").size(), 2u);
  EXPECT_EQ(d.at("layers")[0].at("group"), "fc2") << "outputs first";
  EXPECT_EQ(d.at("layers")[0].at("units").size(), 12u);
  EXPECT_EQ(d.at("layers")[1].at("target_columns"), d.at("layers")[0].at("keep").size())
      << "fc1's target is fc2's kept units";
  EXPECT_GT(d.at("estimator_fits").get<int64_t>(), 36);
}

TEST(MippMethod, BadOptionsAreNamed) {
  const graph::Network net = mlp();
  const data::Dataset calibration = teacher(300);
  Budget layer;
  layer.scope = "layer";
  testing::expect_error([&] { select_with(net, calibration, {{"mode", "confidence"}}, layer); },
                        ErrorKind::kInvalidArgument, {"--scope layer", "confidence mode"});
  testing::expect_error([&] { make_method("mipp", {{"widths", "uniform"}, {"threshold_per", "cost"}}); },
                        ErrorKind::kInvalidArgument, {"widths uniform", "threshold_per cost"});
  testing::expect_error([&] { make_method("mipp", {{"widths", "even"}}); }, ErrorKind::kInvalidArgument,
                        {"widths 'even'", "test or uniform"});
  testing::expect_error([&] { make_method("mipp", {{"confidence", 1.5}}); }, ErrorKind::kInvalidArgument,
                        {"--confidence 1.5"});
  testing::expect_error([&] { make_method("mipp", {{"estimator", "knn"}}); }, ErrorKind::kInvalidArgument,
                        {"knn", "linear, mlp, gaussian, ksg"});
  testing::expect_error([&] { make_method("mipp", {{"speed", 1}}); }, ErrorKind::kInvalidArgument, {"speed"});
  testing::expect_error([&] { make_method("mipp", {{"visit", "best"}}); }, ErrorKind::kInvalidArgument,
                        {"visit 'best'", "information or greedy"});
  EXPECT_EQ(make_method("mipp", {{"visit", "greedy"}})->title(), "MIPP (linear-Gaussian, visit greedy)");
  Budget too_much;
  too_much.sparsity = 0.95;
  too_much.min_width = 4;
  testing::expect_error([&] { select_with(net, calibration, json::object(), too_much); }, ErrorKind::kInvalidArgument,
                        {"--sparsity 0.95", "--min-width 4"});
  data::Dataset bad = teacher(300);
  bad.inputs[5][2] = std::nan("");
  testing::expect_error([&] { select_with(net, bad, json::object(), Budget{}); }, ErrorKind::kNumerical, {"NaN"});
}

}  // namespace mipp::prune
