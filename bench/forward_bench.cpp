// Forward and backward time of zoo models at batch 128, and the same forward through the model's
// TorchScript file (torch::jit::Module) as the peer, so graph::forward's overhead shows as a ratio
// within one run. Results and the command line are recorded in docs/PERFORMANCE.md.
//
//   build/mipp_bench --threads=2 [--benchmark_filter=resnet20] [--benchmark_min_time=1]
//
// --threads=N sets LibTorch's intra-op threads (default: all hardware threads); it is printed in
// the benchmark context.
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstring>
#include <thread>

#include "mipp/graph/forward.h"
#include "mipp/io/model_file.h"
#include "mipp/models/zoo.h"
#include "mipp/util/version.h"

namespace {

using namespace mipp;

constexpr int64_t kBatch = 128;

struct BenchModel {
  std::string label;
  models::ModelSpec spec;
};

std::vector<BenchModel> bench_models() {
  auto spec = [](std::string name, mipp::graph::Shape shape = {}, bool small_stem = false) {
    models::ModelSpec s;
    s.name = std::move(name);
    s.input_shape = std::move(shape);
    s.small_stem = small_stem;
    return s;
  };
  return {
      {"lenet300", spec("lenet300")},
      {"lenet5", spec("lenet5")},
      {"vgg11", spec("vgg11")},
      {"vgg16", spec("vgg16")},
      {"resnet20", spec("resnet20")},
      {"resnet56", spec("resnet56")},
      {"resnet18-small-stem-32", spec("resnet18", {3, 32, 32}, true)},
      {"resnet50-small-stem-32", spec("resnet50", {3, 32, 32}, true)},
  };
}

at::Tensor make_input(const graph::Network& net) {
  std::vector<int64_t> shape = {kBatch};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  return torch::randn(shape, gen);
}

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["threads"] = at::get_num_threads();
}

// Eval-mode inference through graph::forward.
void forward_mipp(benchmark::State& state, const models::ModelSpec& spec) {
  const graph::Network net = models::build_model(spec);
  const at::Tensor x = make_input(net);
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(graph::forward(net, x).output);
  set_counters(state);
}

// The same inference through the model file's TorchScript module: the peer.
void forward_torchscript(benchmark::State& state, const models::ModelSpec& spec) {
  const graph::Network net = models::build_model(spec);
  const std::string path = "/tmp/mipp_bench_" + spec.name + ".pt";
  io::save_model(path, net, {spec.name});
  torch::jit::Module module = torch::jit::load(path);
  std::remove(path.c_str());
  module.eval();
  const at::Tensor x = make_input(net);
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(module.forward({x}).toTensor());
  set_counters(state);
}

// One training step's compute: train-mode forward, cross-entropy, backward into every parameter.
void forward_backward_mipp(benchmark::State& state, const models::ModelSpec& spec) {
  graph::Network net = models::build_model(spec);
  for (auto& [name, p] : net.named_parameters()) p.requires_grad_(true);
  const at::Tensor x = make_input(net);
  const at::Tensor labels = torch::randint(net.output_shape().front(), {kBatch}, torch::kLong);
  graph::ForwardOptions train;
  train.training = true;
  for (auto _ : state) {
    const at::Tensor loss = torch::cross_entropy_loss(graph::forward(net, x, train).output, labels);
    loss.backward();
    for (auto& [name, p] : net.named_parameters()) p.mutable_grad().reset();
  }
  set_counters(state);
}

int parse_threads(int& argc, char** argv) {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::atoi(argv[i] + 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return std::max(1, threads);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = parse_threads(argc, argv);
  at::set_num_threads(threads);
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::AddCustomContext("mipp", std::string(util::mipp_version()) + " " + util::git_commit());
  benchmark::AddCustomContext("batch", std::to_string(kBatch));
  for (const BenchModel& m : bench_models()) {
    benchmark::RegisterBenchmark(("forward/mipp/" + m.label).c_str(), forward_mipp, m.spec)
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("forward/torchscript/" + m.label).c_str(), forward_torchscript, m.spec)
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("forward_backward/mipp/" + m.label).c_str(), forward_backward_mipp, m.spec)
        ->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
