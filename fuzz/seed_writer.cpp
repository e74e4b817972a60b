// mipp_fuzz_seeds OUT_DIR: writes each harness's seed corpus, valid inputs in the harness's input
// layout, into OUT_DIR/<harness>/ (idx_reader, cifar_reader, bench_config, model_file,
// torchscript_import). Built and run by the build (fuzz/CMakeLists.txt), so that no binary seed is
// kept in git and the seeds follow the formats as mipp writes them today.
#include <ATen/ops/arange.h>
#include <ATen/ops/randn.h>
#include <torch/script.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "mipp/io/model_file.h"
#include "mipp/models/zoo.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string gzip(const std::string& bytes) {
  const std::string path = mipp::fuzz::temp_path("gzip");
  mipp::fuzz::write_file(path, bytes, true);
  return read_file(path);
}

void put_u32(std::string& bytes, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((v >> shift) & 0xff));
}

// An IDX images file of n images of rows x cols and its labels file, pixel and label values
// varying with their index.
std::string idx_images(uint32_t n, uint32_t rows, uint32_t cols) {
  std::string bytes;
  for (uint32_t v : {0x00000803u, n, rows, cols}) put_u32(bytes, v);
  for (uint32_t i = 0; i < n * rows * cols; ++i) bytes.push_back(static_cast<char>(i * 37 % 256));
  return bytes;
}
std::string idx_labels(uint32_t n) {
  std::string bytes;
  for (uint32_t v : {0x00000801u, n}) put_u32(bytes, v);
  for (uint32_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(i % 10));
  return bytes;
}

// The idx_reader harness's layout: flags, num_classes - 1, images length (2 bytes LE), files.
std::string idx_input(uint8_t flags, const std::string& images, const std::string& labels) {
  std::string input = {static_cast<char>(flags), 9, static_cast<char>(images.size() & 0xff),
                       static_cast<char>(images.size() >> 8)};
  return input + images + labels;
}

// n CIFAR records; CIFAR-100 ones carry a coarse label first.
std::string cifar_records(int n, bool cifar100) {
  std::string bytes;
  for (int i = 0; i < n; ++i) {
    if (cifar100) bytes.push_back(static_cast<char>(i % 20));
    bytes.push_back(static_cast<char>(i % 10));
    for (int p = 0; p < 3072; ++p) bytes.push_back(static_cast<char>((p + i) % 256));
  }
  return bytes;
}

std::string cifar_input(uint8_t flags, const std::string& first, const std::string& second = "") {
  std::string input = {static_cast<char>(flags), static_cast<char>(first.size() & 0xff),
                       static_cast<char>(first.size() >> 8)};
  return input + first + second;
}

// A mipp model file of a zoo model, as `mipp export --model NAME` writes it.
std::string model_file(const mipp::models::ModelSpec& spec) {
  const mipp::models::ModelSpec resolved = mipp::models::resolve(spec);
  mipp::io::ModelMetadata metadata;
  metadata.architecture = spec.name;
  metadata.build = resolved;
  const std::string path = mipp::fuzz::temp_path("model.pt");
  mipp::io::save_model(path, mipp::models::build_model(resolved), metadata);
  return read_file(path);
}

// A TorchScript module that mipp did not write: conv, batch-norm, ReLU6, pool and linear on
// [3, 8, 8] inputs, as in tests/io/torchscript_import_test.cpp.
std::string torchscript_module() {
  torch::jit::Module m("__torch__.Seed");
  m.register_parameter("conv_weight", at::randn({8, 3, 3, 3}) * 0.3, false);
  m.register_parameter("conv_bias", at::randn({8}) * 0.1, false);
  m.register_parameter("bn_weight", at::randn({8}).abs() + 0.5, false);
  m.register_parameter("bn_bias", at::randn({8}) * 0.1, false);
  m.register_buffer("bn_mean", at::randn({8}) * 0.1);
  m.register_buffer("bn_var", at::randn({8}).abs() + 0.5);
  m.register_parameter("fc_weight", at::randn({10, 128}) * 0.1, false);
  m.register_parameter("fc_bias", at::randn({10}) * 0.1, false);
  m.define(R"(
def forward(self, x):
    y = torch.conv2d(x, self.conv_weight, self.conv_bias, [1, 1], [1, 1], [1, 1], 1)
    y = torch.batch_norm(y, self.bn_weight, self.bn_bias, self.bn_mean, self.bn_var, False, 0.1, 1e-5, True)
    y = torch.hardtanh(y, 0.0, 6.0)
    y = torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], True)
    y = y.view(y.size(0), -1)
    return torch.linear(y, self.fc_weight, self.fc_bias)
)");
  const std::string path = mipp::fuzz::temp_path("module.pt");
  m.save(path);
  return read_file(path);
}

void write_seed(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  mipp::fuzz::write_file((dir / name).string(), bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: mipp_fuzz_seeds OUT_DIR\n";
    return 2;
  }
  mipp::fuzz::init();
  at::manual_seed(0);
  const fs::path out = argv[1];

  const std::string images = idx_images(3, 4, 5), labels = idx_labels(3);
  write_seed(out / "idx_reader", "plain", idx_input(0, images, labels));
  write_seed(out / "idx_reader", "gzip-by-harness", idx_input(3, images, labels));
  write_seed(out / "idx_reader", "gzip-in-input", idx_input(0, gzip(images), gzip(labels)));
  write_seed(out / "idx_reader", "mnist-size", idx_input(0, idx_images(1, 28, 28), idx_labels(1)));

  write_seed(out / "cifar_reader", "cifar10", cifar_input(0, cifar_records(2, false)));
  write_seed(out / "cifar_reader", "cifar100-gzip", cifar_input(3, cifar_records(1, true)));
  const std::string one = cifar_records(1, false);
  write_seed(out / "cifar_reader", "cifar10-two-files", cifar_input(4, one, cifar_records(1, false)));
  write_seed(out / "cifar_reader", "cifar10-gzip-in-input", cifar_input(0, gzip(cifar_records(2, false))));

  // The bench configurations of docs/USAGE.md's examples, on small models.
  const json minimal = {{"models", {{{"name", "mlp"}, {"hidden", {8, 4}}}}},
                        {"dataset", "mnist"},
                        {"methods", {"magnitude", {{"name", "random"}, {"timing", "both"}}}},
                        {"sparsities", {0.5}}};
  write_seed(out / "bench_config", "minimal.json", minimal.dump(2));
  json full = minimal;
  full["name"] = "full";
  full["models"].push_back({{"name", "lenet5"}, {"label", "lenet"}});
  full["train"] = {{"epochs", 1},
                   {"batch_size", 4},
                   {"optimizer", {{"name", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}},
                   {"schedule", {{"name", "step"}, {"step_size", 1}, {"gamma", 0.5}}}};
  full["finetune"] = {{"epochs", 1}};
  full["methods"].push_back({{"name", "snip"}, {"label", "snip-rw"}, {"reweight", true}, {"calib_samples", 8}});
  full["budget"] = {{"target", "params"}, {"scope", "layer"}, {"min_width", 2}};
  full["seeds"] = {0, 1};
  full["latency"] = {{"batches", {1, 2}}, {"warmup", 1}, {"repeats", 2}};
  full["controls"] = true;
  write_seed(out / "bench_config", "full.json", full.dump(2));

  mipp::models::ModelSpec tiny{"mlp"};
  tiny.input_shape = {4};
  tiny.hidden = {8};
  write_seed(out / "model_file", "mlp-tiny.pt", model_file(tiny));
  write_seed(out / "model_file", "lenet5.pt", model_file({"lenet5"}));

  write_seed(out / "torchscript_import", "functional-3x8x8.pt", std::string(1, '\0') + torchscript_module());
  write_seed(out / "torchscript_import", "mipp-mlp-tiny-4.pt", std::string(1, '\2') + model_file(tiny));
  std::cout << "seeds written to " << out.string() << "\n";
  return 0;
}
