#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/graph/cost.h"
#include "mipp/graph/fold.h"
#include "mipp/graph/forward.h"
#include "mipp/models/zoo.h"
#include "support/tiny_networks.h"

namespace mipp::graph {

TEST(FoldBatchNorms, SameFunctionFewerBatchNormsOnEveryZooModelWithBatchNorm) {
  for (const std::string name : {"vgg11", "resnet20"}) {
    models::ModelSpec spec;
    spec.name = name;
    spec.width = 0.25;
    Network net = models::build_model(spec);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
    testing::randomize_batch_norms(net, gen);
    const Network folded = fold_batch_norms(net);
    int batch_norms = 0;
    for (const Node& n : folded.nodes()) batch_norms += n.is<BatchNormOp>();
    EXPECT_EQ(batch_norms, 0) << name << ": every batch-norm follows a conv";
    const at::Tensor x = at::randn({4, 3, 32, 32}, gen);
    const at::Tensor a = forward(net, x).output, b = forward(folded, x).output;
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-4 * std::max(1.0, a.abs().max().item<double>())) << name;
  }
}

TEST(FoldBatchNorms, BatchNormsWithOtherReadersStay) {
  // all_ops_network: conv a -> bn -> relu (folded); linear 5 -> bn1d (folded).
  Network net = testing::all_ops_network(1);
  const Network folded = fold_batch_norms(net);
  const at::Tensor x = at::randn({3, 3, 8, 8});
  EXPECT_TRUE(at::allclose(forward(net, x).output, forward(folded, x).output, 1e-4, 1e-5));
  EXPECT_EQ(folded.num_nodes(), net.num_nodes());
}

TEST(ChannelsLast, SameFunctionAndTheLayoutIsKeptOnEveryZooConvModel) {
  for (const std::string name : {"lenet5", "vgg11", "resnet20"}) {
    models::ModelSpec spec;
    spec.name = name;
    if (name != "lenet5") spec.width = 0.25;
    Network net = models::build_model(spec);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
    if (name != "lenet5") testing::randomize_batch_norms(net, gen);
    std::vector<int64_t> shape = {3};
    shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
    const at::Tensor x = at::randn(shape, gen);
    const Network nhwc = with_channels_last_weights(fold_batch_norms(net));
    ForwardOptions taps;
    for (int id = 0; id < nhwc.num_nodes(); ++id) {
      if (nhwc.node(id).is<Conv2dOp>()) taps.taps.push_back(id);
    }
    ASSERT_FALSE(taps.taps.empty()) << name;
    const ForwardResult f = forward(nhwc, x.contiguous(at::MemoryFormat::ChannelsLast), taps);
    const at::Tensor a = forward(net, x).output;
    EXPECT_LT((a - f.output).abs().max().item<double>(), 1e-4 * std::max(1.0, a.abs().max().item<double>())) << name;
    for (const auto& [id, value] : f.taps) {  // no conv converts back to NCHW
      // A single-channel input (LeNet-5's) is NCHW and NHWC at once; its conv keeps NCHW.
      if (nhwc.node(id).params.at("weight").size(1) == 1) continue;
      EXPECT_TRUE(value.is_contiguous(at::MemoryFormat::ChannelsLast)) << name << ": " << nhwc.node(id).name;
    }
  }
}

}  // namespace mipp::graph
