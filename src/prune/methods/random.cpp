#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/ops/rand.h>

#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "prune/methods/baselines.h"

namespace mipp::prune {

namespace {

class RandomMethod : public Method {
 public:
  std::string_view name() const override { return "random"; }
  std::vector<at::Tensor> score(const MethodInputs& in) override {
    // Its own generator from the run's seed, never the global one, so masks repeat exactly.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(util::derive_seed(in.seed, "random-scores"));
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : in.analysis.groups) scores.push_back(at::rand({g.size}, gen));
    return scores;
  }
};

}  // namespace

std::unique_ptr<Method> make_random_method(const nlohmann::json& options) {
  MIPP_CHECK(options.empty(), kInvalidArgument, "method random takes no options, got {}", options.dump());
  return std::make_unique<RandomMethod>();
}

}  // namespace mipp::prune
