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

}  // namespace mipp::graph
