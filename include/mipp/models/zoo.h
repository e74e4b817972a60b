// The model zoo: builders that return a freshly initialised graph::Network.
//
//   mlp, lenet300            fully connected nets (LeNet-300-100 is mlp with hidden 300,100)
//   lenet5                   LeNet-5 (conv 6, conv 16, fc 120, 84)
//   vgg11 vgg13 vgg16 vgg19  CIFAR style: 3x3 conv + batch-norm + ReLU, global pooling, one linear
//   resnet20 32 56 110       CIFAR ResNets (basic blocks, 16-32-64 channels, 1x1-conv shortcuts)
//   resnet18 34 50           ImageNet layout (basic / bottleneck blocks); small_stem for 32x32
//
// Initialisation follows the common practice (torchvision): conv weights Kaiming-normal
// (fan_out, ReLU gain), linear weights and all biases PyTorch's default uniform(+-1/sqrt(fan_in)),
// batch-norm weight 1 and bias 0. The seed decides every value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mipp/graph/network.h"
#include "mipp/util/seed.h"

namespace mipp::models {

struct ModelSpec {
  std::string name;                 // zoo id, e.g. "resnet20"
  int64_t num_classes = 10;         // size of the output layer, >= 2
  graph::Shape input_shape;         // per sample, [C, H, W] or [F]; empty = the model's default
  double width = 1.0;               // channel multiplier for conv models (vgg, resnet), in (0, 16]
  std::vector<int64_t> hidden;      // mlp hidden widths; empty = the model's default
  bool small_stem = false;          // resnet18/34/50: 3x3 stride-1 stem, no max-pool (32x32 inputs)
  uint64_t seed = util::kDefaultSeed;  // decides the initial weights
};

struct ZooEntry {
  std::string name;
  std::string description;
  graph::Shape default_input_shape;
};

// Every zoo model, in a fixed order.
const std::vector<ZooEntry>& zoo_entries();

// The spec with defaults filled in (input shape, hidden widths). Throws Error(kNotFound) for an
// unknown name and Error(kInvalidArgument) naming the field for a bad value.
ModelSpec resolve(const ModelSpec& spec);

// Builds and initialises the model. Throws as resolve(), and when the input is too small for
// the architecture (e.g. vgg needs at least 32x32).
graph::Network build_model(const ModelSpec& spec);

// The spec as JSON (stored in model files as "build") and back; missing fields keep defaults.
void to_json(nlohmann::json& j, const ModelSpec& spec);
void from_json(const nlohmann::json& j, ModelSpec& spec);

// Re-draws every weight and bias of `net` as the zoo initialises them (batch-norm reset to 1/0),
// deterministically from `seed`.
void initialize(graph::Network& net, uint64_t seed);

}  // namespace mipp::models
