#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros.h>

#include "mipp/util/error.h"
#include "prune/methods/baselines.h"

namespace mipp::prune {

namespace {

class BnScaleMethod : public Method {
 public:
  std::string_view name() const override { return "bn-scale"; }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    at::NoGradGuard no_grad;
    // Summed where the batch-norms are; the scores go back to the CPU.
    const at::TensorOptions options = at::TensorOptions(at::kDouble).device(in.net.device());
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) {
      at::Tensor s = at::zeros({g.size}, options);
      int batch_norms = 0;
      for (const graph::ChannelSlice& c : g.per_channel) {
        const graph::Node& node = in.net.node(c.node);
        if (!node.is<graph::BatchNormOp>()) continue;  // depthwise convs are per-channel too
        // gamma [channels]: the group's units sit at offset + u * span (span 1 before a flatten).
        const at::Tensor gamma = node.params.at("weight").to(at::kDouble).abs();
        s += gamma.narrow(0, c.offset, g.size * c.span).view({g.size, c.span}).sum(1);
        ++batch_norms;
      }
      MIPP_CHECK(batch_norms > 0, kInvalidArgument,
                 "method bn-scale: group {} has no batch-norm to read gamma from (use magnitude)", g.name);
      scores.push_back(s.cpu());
    }
    return scores;
  }
};

}  // namespace

std::unique_ptr<Method> make_bn_scale_method(const nlohmann::json& options) {
  MIPP_CHECK(options.empty(), kInvalidArgument, "method bn-scale takes no options, got {}", options.dump());
  return std::make_unique<BnScaleMethod>();
}

}  // namespace mipp::prune
