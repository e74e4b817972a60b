#include "mipp/train/group_sparsity.h"

#include <gtest/gtest.h>
#include <numeric>
#include <torch/torch.h>

#include "mipp/data/synthetic.h"
#include "mipp/graph/forward.h"
#include "mipp/graph/slice.h"
#include "mipp/graph/unit_rows.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/method.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"
#include "support/expect_error.h"
#include "support/stop_after.h"
#include "support/temp_dir.h"
#include "support/tiny_networks.h"

namespace mipp::train {

namespace {

data::Dataset clusters(int64_t n) {
  data::ClustersOptions o;
  o.num_samples = n;
  o.num_classes = 4;
  o.num_features = 8;
  return data::gaussian_clusters(o, 6);
}

io::Model mlp(uint64_t seed = 1) {
  models::ModelSpec spec;
  spec.name = "mlp";
  spec.input_shape = {8};
  spec.hidden = {32, 16};
  spec.num_classes = 4;
  spec.seed = seed;
  return {models::build_model(spec), {"mlp"}, {}};
}

TrainOptions sparse_options(int epochs) {
  TrainOptions t;
  t.epochs = epochs;
  t.batch_size = 32;
  t.optimizer.lr = 0.05;
  t.seed = 3;
  t.group_sparsity.target = 0.5;
  t.group_sparsity.min_width = 2;
  t.group_sparsity.lambda = 1;  // strong enough for 10 steps an epoch
  t.group_sparsity.epsilon = 0.9;
  return t;
}

struct Messages : util::EventSink {
  std::string text;
  void message(util::LogLevel, const std::string& line) override { text += line + "\n"; }
};

// Keep-sets of every unit whose group is not zero.
graph::KeepSets nonzero_units(const graph::Network& net, const graph::Analysis& a) {
  graph::KeepSets keep;
  for (const graph::Group& g : a.groups) {
    const at::Tensor nonzero = graph::unit_norms(net, g).ne(0).nonzero().flatten().cpu();
    keep.emplace_back(nonzero.data_ptr<int64_t>(), nonzero.data_ptr<int64_t>() + nonzero.numel());
  }
  return keep;
}

}  // namespace

// Zeroing every entry a unit owns silences it: removing it then leaves every output as it was, in
// a conv network with batch-norm and in a residual one.
TEST(UnitRows, SilencedUnitsCanBeRemovedWithoutChangingTheOutputs) {
  for (const std::string name : {"lenet5", "resnet20"}) {
    SCOPED_TRACE(name);
    models::ModelSpec spec;
    spec.name = name;
    spec.width = name == "resnet20" ? 0.5 : 1.0;
    graph::Network net = models::build_model(spec);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(4);
    testing::randomize_batch_norms(net, gen);
    const graph::Analysis a = graph::analyze(net);
    graph::KeepSets keep;
    {
      at::NoGradGuard no_grad;
      for (const graph::Group& g : a.groups) {
        for (const at::Tensor& r : graph::unit_rows(net, g)) r[0].zero_();  // unit 0 of every group
        const at::Tensor norms = graph::unit_norms(net, g);
        EXPECT_EQ(norms[0].item<double>(), 0) << g.name;
        EXPECT_GT(norms.narrow(0, 1, g.size - 1).min().item<double>(), 0) << g.name;
        std::vector<int64_t> rest(static_cast<size_t>(g.size - 1));
        std::iota(rest.begin(), rest.end(), 1);
        keep.push_back(rest);
      }
    }
    std::vector<int64_t> shape = {4};
    for (int64_t dim : net.input_shape()) shape.push_back(dim);
    const at::Tensor x = at::randn(shape, gen);
    const at::Tensor full = graph::forward(net, x).output;
    const at::Tensor sliced = graph::forward(graph::slice(net, a, keep), x).output;
    EXPECT_TRUE(at::allclose(full, sliced, 1e-4, 1e-5)) << (full - sliced).abs().max().item<double>();
  }
}

// Training with group sparsity zeroes exactly the target fraction of the units, never a group
// below its min width, and `oto` then removes those units without changing any output.
TEST(GroupSparsity, ZeroesTheTargetFractionAndOtoRemovesThemUnchanged) {
  const data::Dataset d = clusters(320);  // 10 batches per epoch
  io::Model model = mlp();
  const TrainResult r = train(model, d, nullptr, sparse_options(4), util::null_sink());
  ASSERT_TRUE(r.epochs.back().contains("zero_units"));
  EXPECT_DOUBLE_EQ(r.epochs.back().at("zero_units").get<double>(), 24.0 / 48.0);
  const graph::Analysis a = graph::analyze(model.network);
  const graph::KeepSets nonzero = nonzero_units(model.network, a);
  EXPECT_GE(nonzero[0].size(), 2u);
  EXPECT_GE(nonzero[1].size(), 2u);
  EXPECT_GT(evaluate(model.network, d).top1, 0.6) << "the kept half still learns the clusters";

  auto oto = prune::make_method("oto");
  prune::Budget budget;
  budget.sparsity = 0.5;
  const prune::Selection s = oto->select({model.network, a, nullptr, 0, util::null_sink()}, budget);
  EXPECT_EQ(s.keep, nonzero);
  EXPECT_EQ(oto->details().at("removed_nonzero_units"), 0);
  const at::Tensor x = d.inputs.narrow(0, 0, 64);
  EXPECT_TRUE(at::allclose(graph::forward(model.network, x).output,
                           graph::forward(graph::slice(model.network, a, s.keep), x).output, 1e-5, 1e-6));

  // More than training zeroed: oto removes non-zero units too, and says so.
  budget.sparsity = 0.75;
  Messages messages;
  oto->select({model.network, a, nullptr, 0, messages}, budget);
  EXPECT_EQ(oto->details().at("removed_nonzero_units"), 12);
  EXPECT_NE(messages.text.find("12 of the 36 removed units are not zero"), std::string::npos) << messages.text;
}

TEST(GroupSparsity, DeterministicAndResumable) {
  testing::TempDir dir;
  const data::Dataset d = clusters(320);
  TrainOptions t = sparse_options(3);
  io::Model whole = mlp(), again = mlp();
  train(whole, d, nullptr, t, util::null_sink());
  train(again, d, nullptr, t, util::null_sink());
  const auto pw = whole.network.named_parameters(), pa = again.network.named_parameters();
  for (size_t i = 0; i < pw.size(); ++i) EXPECT_TRUE(torch::equal(pw[i].second, pa[i].second)) << pw[i].first;

  t.checkpoint_path = dir.file("m.pt");
  t.checkpoint_every_epoch = true;
  io::Model interrupted = mlp();
  testing::StopAfter stop(25);  // in epoch 3, after the partition of epoch 1
  EXPECT_TRUE(train(interrupted, d, nullptr, t, stop).cancelled);
  t.resume = true;
  io::Model resumed = mlp(99);
  EXPECT_EQ(train(resumed, d, nullptr, t, util::null_sink()).resumed_from_epoch, 2);
  const auto pr = resumed.network.named_parameters();
  for (size_t i = 0; i < pw.size(); ++i) EXPECT_TRUE(torch::equal(pw[i].second, pr[i].second)) << pw[i].first;
}

TEST(GroupSparsity, BadOptionsAreNamed) {
  io::Model model = mlp();
  GroupSparsityOptions o;
  o.target = 0.99;
  o.min_width = 2;
  testing::expect_error([&] { GroupSparsity(model.network, o); }, ErrorKind::kInvalidArgument,
                        {"--group-sparsity 0.99", "min width 2"});
  o.target = 1.5;
  testing::expect_error([&] { validate(o); }, ErrorKind::kInvalidArgument, {"--group-sparsity 1.5"});
  o.target = 0.5;
  o.lambda = 0;
  testing::expect_error([&] { validate(o); }, ErrorKind::kInvalidArgument, {"--group-lambda 0"});
  testing::expect_error([&] { nlohmann::json{{"lamda", 1}}.get<GroupSparsityOptions>(); }, ErrorKind::kInvalidArgument,
                        {"unknown option 'lamda'"});
  testing::expect_error([&] { prune::make_method("oto", {{"lambda", 1}}); }, ErrorKind::kInvalidArgument,
                        {"method oto takes no options"});
}

}  // namespace mipp::train
