// Model files open in Python: every zoo model, a net with every op, and sliced (pruned) models are
// saved by mipp, loaded by the environment's PyTorch with torch.jit.load, run on the same input,
// and must agree with mipp to 1e-5.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "mipp/graph/forward.h"
#include "mipp/graph/slice.h"
#include "mipp/io/model_file.h"
#include "mipp/models/zoo.h"
#include "support/python_check.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/tiny_networks.h"

namespace mipp::io {

namespace {

void write_floats(const std::string& path, const at::Tensor& t) {
  const at::Tensor c = t.contiguous().to(torch::kFloat32);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(c.data_ptr<float>()), static_cast<std::streamsize>(c.numel() * 4));
}

// Saves the model, an input batch and mipp's output for the Python checker.
void write_case(const testing::TempDir& dir, const std::string& name, const graph::Network& net) {
  save_model(dir.file(name + ".pt"), net, {name});
  std::vector<int64_t> shape = {3};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  const at::Tensor x = torch::randn(shape);
  torch::NoGradGuard no_grad;
  const at::Tensor y = graph::forward(net, x).output;
  write_floats(dir.file(name + ".input.bin"), x);
  write_floats(dir.file(name + ".expected.bin"), y);
  std::ofstream(dir.file(name + ".json")) << nlohmann::json{{"input_shape", x.sizes().vec()}, {"output_shape", y.sizes().vec()}};
}

}  // namespace

TEST(PythonRoundTrip, EveryZooModelAgreesWithPyTorch) {
  testing::TempDir dir;
  torch::manual_seed(0);
  std::vector<std::string> expected;
  for (const models::ZooEntry& e : models::zoo_entries()) {
    models::ModelSpec spec;
    spec.name = e.name;
    if (e.name.rfind("resnet", 0) == 0 || e.name.rfind("vgg", 0) == 0) spec.width = 0.5;
    if (e.name == "resnet18" || e.name == "resnet34" || e.name == "resnet50") spec.input_shape = {3, 64, 64};
    write_case(dir, e.name, models::build_model(spec));
    expected.push_back(e.name);
  }
  write_case(dir, "all_ops", testing::all_ops_network(2));
  expected.push_back("all_ops");
  // Physically pruned models: every other unit of every group removed.
  for (const char* name : {"lenet5", "vgg11", "resnet20"}) {
    models::ModelSpec spec;
    spec.name = name;
    if (spec.name != "lenet5") spec.width = 0.5;
    const graph::Network net = models::build_model(spec);
    const graph::Analysis analysis = graph::analyze(net);
    graph::KeepSets keep(analysis.groups.size());
    for (const graph::Group& g : analysis.groups) {
      for (int64_t u = 0; u < g.size; u += 2) keep[g.id].push_back(u);
    }
    write_case(dir, std::string(name) + "_sliced", graph::slice(net, analysis, keep));
    expected.push_back(std::string(name) + "_sliced");
  }

  std::vector<std::string> checked;
  for (const nlohmann::json& j : testing::check_model_files_in_pytorch(dir.path())) {
    const std::string name = j.at("model");
    checked.push_back(name);
    ASSERT_TRUE(j.at("error").is_null()) << name << ": " << j.at("error");
    EXPECT_LE(j.at("max_abs_diff").get<double>(), 1e-5) << name;
    EXPECT_TRUE(j.at("metadata_ok").get<bool>()) << name;
  }
  std::sort(expected.begin(), expected.end());
  std::sort(checked.begin(), checked.end());
  EXPECT_EQ(checked, expected);
}

}  // namespace mipp::io
