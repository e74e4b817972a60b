#include "mipp/train/recalibrate.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "support/expect_error.h"
#include "support/tiny_networks.h"

namespace mipp::train {

TEST(RecalibrateBatchNorms, RunningStatisticsBecomeTheDataStatistics) {
  graph::Network net = testing::conv_bn_net(1);  // conv -> batch-norm with random statistics -> ...
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(2);
  data::Dataset d;
  d.inputs = torch::rand({70, 3, 4, 4}, gen).to(torch::kFloat64);
  EXPECT_EQ(recalibrate_batch_norms(net, d, /*batch_size=*/32), 1);  // uneven batches on purpose
  int bn = -1;
  for (int id = 0; id < net.num_nodes(); ++id) {
    if (net.node(id).is<graph::BatchNormOp>()) bn = id;
  }
  graph::ForwardOptions o;
  o.taps = {net.node(bn).inputs[0]};
  const at::Tensor in = graph::forward(net, d.inputs, o).taps.at(o.taps[0]);
  const at::Tensor per_channel = in.transpose(0, 1).reshape({in.size(1), -1});
  EXPECT_TRUE(torch::allclose(net.node(bn).buffers.at("running_mean"), per_channel.mean(1), 1e-9, 1e-12));
  EXPECT_TRUE(torch::allclose(net.node(bn).buffers.at("running_var"), per_channel.var(1, /*unbiased=*/true), 1e-9, 1e-12));
}

TEST(RecalibrateBatchNorms, LaterLayersSeeTheEarlierOnesUpdated) {
  models::ModelSpec spec;
  spec.name = "vgg11";
  spec.width = 0.125;
  spec.input_shape = {3, 32, 32};
  graph::Network net = models::build_model(spec);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
  testing::randomize_batch_norms(net, gen);
  data::Dataset d;
  d.inputs = torch::rand({40, 3, 32, 32}, gen);
  EXPECT_EQ(recalibrate_batch_norms(net, d), 8);
  // In eval mode every batch-norm now normalises its input to mean beta over the data set.
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    if (!node.is<graph::BatchNormOp>()) continue;
    graph::ForwardOptions o;
    o.taps = {id};
    const at::Tensor out = graph::forward(net, d.inputs, o).taps.at(id);
    const at::Tensor mean = out.transpose(0, 1).reshape({out.size(1), -1}).mean(1);
    EXPECT_TRUE(torch::allclose(mean, node.params.at("bias"), 1e-3, 1e-3)) << node.name;
  }
}

TEST(RecalibrateBatchNorms, EmptyDataIsAnError) {
  graph::Network net = testing::conv_bn_net(1);
  data::Dataset d;
  d.inputs = torch::zeros({0, 3, 4, 4}, torch::kFloat64);
  testing::expect_error([&] { recalibrate_batch_norms(net, d); }, ErrorKind::kInvalidArgument, {"at least one"});
}

}  // namespace mipp::train
