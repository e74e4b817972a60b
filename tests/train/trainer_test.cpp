#include "mipp/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/data/synthetic.h"
#include "mipp/models/zoo.h"
#include "mipp/train/evaluate.h"
#include "mipp/util/error.h"
#include "support/stop_after.h"
#include "support/temp_dir.h"

namespace mipp::train {

namespace {

data::Dataset clusters(int64_t n, uint64_t seed) {
  data::ClustersOptions o;
  o.num_samples = n;
  o.num_classes = 4;
  o.num_features = 8;
  return data::gaussian_clusters(o, seed);
}

io::Model small_mlp(uint64_t seed = 1) {
  models::ModelSpec spec;
  spec.name = "mlp";
  spec.input_shape = {8};
  spec.hidden = {32};
  spec.num_classes = 4;
  spec.seed = seed;
  return {models::build_model(spec), {"mlp"}, {}};
}

TrainOptions quick_options(int epochs) {
  TrainOptions t;
  t.epochs = epochs;
  t.batch_size = 32;
  t.optimizer.lr = 0.05;
  t.seed = 3;
  return t;
}

bool same_weights(const graph::Network& a, const graph::Network& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!torch::equal(pa[i].second, pb[i].second)) return false;
  }
  return pa.size() == pb.size();
}

}  // namespace

TEST(Trainer, LearnsSeparableClusters) {
  io::Model model = small_mlp();
  const data::Dataset d = clusters(800, 5);
  const TrainResult r = train(model, d, nullptr, quick_options(5), util::null_sink());
  ASSERT_EQ(r.epochs.size(), 5u);
  EXPECT_LT(r.epochs.back().at("train_loss").get<double>(), r.epochs.front().at("train_loss").get<double>());
  EXPECT_GT(evaluate(model.network, d).top1, 0.9);
  EXPECT_EQ(model.metadata.history.back().at("action"), "train");
  EXPECT_FALSE(model.network.named_parameters().front().second.requires_grad());  // left as plain tensors
}

TEST(Trainer, SameSeedGivesIdenticalWeights) {
  const data::Dataset d = clusters(300, 5);
  io::Model a = small_mlp(), b = small_mlp();
  TrainOptions t = quick_options(2);
  t.optimizer.nesterov = true;
  train(a, d, nullptr, t, util::null_sink());
  train(b, d, nullptr, t, util::null_sink());
  EXPECT_TRUE(same_weights(a.network, b.network));
  io::Model c = small_mlp();
  t.seed = 4;  // another data order
  train(c, d, nullptr, t, util::null_sink());
  EXPECT_FALSE(same_weights(a.network, c.network));
}

TEST(Trainer, ResumedRunEqualsUninterruptedRun) {
  testing::TempDir dir;
  const data::Dataset d = clusters(320, 6);  // 10 batches per epoch
  for (const char* optimizer : {"sgd", "adam"}) {
    TrainOptions t = quick_options(3);
    t.optimizer.name = optimizer;
    t.optimizer.lr = 0.01;
    io::Model whole = small_mlp();
    train(whole, d, nullptr, t, util::null_sink());

    t.checkpoint_path = dir.file(std::string(optimizer) + ".pt");
    t.checkpoint_every_epoch = true;
    io::Model interrupted = small_mlp();
    testing::StopAfter stop(25);  // in the middle of epoch 3
    const TrainResult first = train(interrupted, d, nullptr, t, stop);
    EXPECT_TRUE(first.cancelled);

    t.resume = true;
    io::Model resumed = small_mlp(/*seed=*/99);  // weights come from the checkpoint
    const TrainResult second = train(resumed, d, nullptr, t, util::null_sink());
    EXPECT_EQ(second.resumed_from_epoch, 2) << optimizer;
    EXPECT_EQ(second.epochs.size(), 3u);
    EXPECT_TRUE(same_weights(whole.network, resumed.network)) << optimizer;
  }
}

TEST(Trainer, ResumeRefusesOtherOptions) {
  testing::TempDir dir;
  const data::Dataset d = clusters(100, 6);
  TrainOptions t = quick_options(1);
  t.checkpoint_path = dir.file("m.pt");
  io::Model model = small_mlp();
  train(model, d, nullptr, t, util::null_sink());
  t.resume = true;
  t.epochs = 2;
  t.batch_size = 16;
  try {
    io::Model again = small_mlp();
    train(again, d, nullptr, t, util::null_sink());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
}

TEST(Trainer, CheckpointIsAModelFile) {
  testing::TempDir dir;
  TrainOptions t = quick_options(1);
  t.checkpoint_path = dir.file("m.pt");
  io::Model model = small_mlp();
  train(model, clusters(100, 2), nullptr, t, util::null_sink());
  const io::Model loaded = io::load_model(t.checkpoint_path);
  EXPECT_TRUE(same_weights(model.network, loaded.network));
  EXPECT_EQ(loaded.metadata.history.back().at("action"), "train");
}

TEST(Trainer, RejectsDataThatDoesNotFit) {
  io::Model model = small_mlp();
  data::Dataset d = clusters(50, 1);
  d.inputs = d.inputs.narrow(1, 0, 6);
  try {
    train(model, d, nullptr, quick_options(1), util::null_sink());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the model expects [8]"), std::string::npos) << e.what();
  }
}

TEST(TrainOptions, ValidationNamesTheField) {
  TrainOptions t;
  t.optimizer.name = "rmsprop";
  EXPECT_THROW(validate(t), Error);
  t = {};
  t.schedule.name = "multistep";
  t.schedule.milestones = {5, 3};
  EXPECT_THROW(validate(t), Error);
  t = {};
  t.label_smoothing = 1.0;
  EXPECT_THROW(validate(t), Error);
  t = {};
  t.resume = true;
  EXPECT_THROW(validate(t), Error);
}

TEST(Schedule, LearningRatesFollowTheirFormulas) {
  ScheduleOptions s;
  s.name = "step";
  s.step_size = 2;
  s.gamma = 0.5;
  EXPECT_DOUBLE_EQ(learning_rate(s, 1.0, 3, 10), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1.0, 4, 10), 0.25);
  s.name = "multistep";
  s.milestones = {3, 6};
  EXPECT_DOUBLE_EQ(learning_rate(s, 1.0, 2, 10), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1.0, 6, 10), 0.25);
  s.name = "cosine";
  EXPECT_DOUBLE_EQ(learning_rate(s, 1.0, 0, 10), 1.0);
  EXPECT_NEAR(learning_rate(s, 1.0, 5, 10), 0.5, 1e-12);
  s.name = "constant";
  EXPECT_DOUBLE_EQ(learning_rate(s, 0.3, 7, 10), 0.3);
}

TEST(Evaluate, CountsTopKLossAndConfusion) {
  graph::Network net({3});
  net.add("logits", graph::IdentityOp{}, {0});  // the inputs are the logits
  data::Dataset d;
  d.name = "hand";
  d.num_classes = 3;
  d.inputs = torch::tensor({{3.f, 1.f, 0.f}, {0.f, 2.f, 1.f}, {1.f, 0.f, 5.f}, {2.f, 1.f, 0.f}});
  d.labels = torch::tensor({0, 2, 2, 1}, torch::kLong);
  const EvalResult r = evaluate(net, d, /*batch_size=*/3);  // two batches
  EXPECT_EQ(r.samples, 4);
  EXPECT_DOUBLE_EQ(r.top1, 0.5);  // rows 0 and 2
  EXPECT_DOUBLE_EQ(r.top5, 1.0);  // only 3 classes: top-3
  const at::Tensor expected_loss = torch::cross_entropy_loss(d.inputs, d.labels);
  EXPECT_NEAR(r.loss, expected_loss.item<double>(), 1e-6);
  EXPECT_EQ(r.confusion[2][1], 1);  // row 1: true 2, predicted 1
  EXPECT_EQ(r.confusion[1][0], 1);  // row 3: true 1, predicted 0
  EXPECT_EQ(r.confusion[0][0], 1);
}

}  // namespace mipp::train
