#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros.h>

#include "mipp/util/error.h"
#include "prune/methods/baselines.h"

namespace mipp::prune {

namespace {

class MagnitudeMethod : public Method {
 public:
  explicit MagnitudeMethod(int norm) : norm_(norm) {}
  std::string_view name() const override { return "magnitude"; }
  nlohmann::json options() const override { return {{"norm", norm_}}; }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    at::NoGradGuard no_grad;
    // Summed where the weights are; the scores go back to the CPU.
    const at::TensorOptions options = at::TensorOptions(at::kDouble).device(in.net.device());
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) {
      at::Tensor s = at::zeros({g.size}, options);
      for (int p : g.producers) {
        // weight [units, ...]: the norm of each unit's row (a conv filter or a neuron's fan-in).
        const at::Tensor w = in.net.node(p).params.at("weight").to(at::kDouble).flatten(1);
        s += norm_ == 1 ? w.abs().sum(1) : w.pow(2).sum(1).sqrt();
      }
      scores.push_back(s.cpu());
    }
    return scores;
  }

 private:
  int norm_;
};

}  // namespace

std::unique_ptr<Method> make_magnitude_method(const nlohmann::json& options) {
  for (const auto& [key, value] : options.items()) {
    MIPP_CHECK(key == "norm", kInvalidArgument, "method magnitude: unknown option '{}' (it has: norm)", key);
  }
  const int norm = options.value("norm", 1);  // 1: Li et al.'s filter L1 norm
  MIPP_CHECK(norm == 1 || norm == 2, kInvalidArgument, "method magnitude: norm {} must be 1 or 2", norm);
  return std::make_unique<MagnitudeMethod>(norm);
}

}  // namespace mipp::prune
