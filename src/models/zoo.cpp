#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>

#include <functional>

#include <nlohmann/json.hpp>
#include <fmt/ranges.h>

#include "mipp/models/zoo.h"
#include "mipp/util/error.h"
#include "models/architectures.h"

namespace mipp::models {

namespace {

using BuildFn = std::function<graph::Network(const ModelSpec&)>;

// Which spec fields a model understands: anything else the user sets is an error, not ignored.
enum class Family { kMlp, kLenet, kVgg, kResnetCifar, kResnetImagenet };

struct Entry {
  ZooEntry info;
  Family family;
  BuildFn build;
  std::vector<int64_t> default_hidden;  // mlp presets only
};

// The one table of zoo models, in the order the CLI lists them.
const std::vector<Entry>& table() {
  const graph::Shape mnist = {1, 28, 28};
  const graph::Shape cifar = {3, 32, 32};
  const graph::Shape imagenet = {3, 224, 224};
  using F = Family;
  static const std::vector<Entry> entries = {
      {{"mlp", "fully connected net, hidden widths from --hidden (default 256,256)", mnist}, F::kMlp, build_mlp,
       {256, 256}},
      {{"lenet300", "LeNet-300-100: mlp with hidden widths 300,100", mnist}, F::kMlp, build_mlp, {300, 100}},
      {{"lenet5", "LeNet-5: conv 6, conv 16, fc 120, 84", mnist}, F::kLenet, build_lenet5, {}},
      {{"vgg11", "VGG-11 with batch-norm, CIFAR style", cifar}, F::kVgg, build_vgg, {}},
      {{"vgg13", "VGG-13 with batch-norm, CIFAR style", cifar}, F::kVgg, build_vgg, {}},
      {{"vgg16", "VGG-16 with batch-norm, CIFAR style", cifar}, F::kVgg, build_vgg, {}},
      {{"vgg19", "VGG-19 with batch-norm, CIFAR style", cifar}, F::kVgg, build_vgg, {}},
      {{"resnet20", "CIFAR ResNet-20 (3 basic blocks per stage)", cifar}, F::kResnetCifar, build_resnet_cifar, {}},
      {{"resnet32", "CIFAR ResNet-32 (5 basic blocks per stage)", cifar}, F::kResnetCifar, build_resnet_cifar, {}},
      {{"resnet56", "CIFAR ResNet-56 (9 basic blocks per stage)", cifar}, F::kResnetCifar, build_resnet_cifar, {}},
      {{"resnet110", "CIFAR ResNet-110 (18 basic blocks per stage)", cifar}, F::kResnetCifar, build_resnet_cifar,
       {}},
      {{"resnet18", "ResNet-18, ImageNet layout (--small-stem for 32x32)", imagenet}, F::kResnetImagenet,
       build_resnet_imagenet, {}},
      {{"resnet34", "ResNet-34, ImageNet layout (--small-stem for 32x32)", imagenet}, F::kResnetImagenet,
       build_resnet_imagenet, {}},
      {{"resnet50", "ResNet-50 (bottleneck), ImageNet layout (--small-stem for 32x32)", imagenet},
       F::kResnetImagenet, build_resnet_imagenet, {}},
  };
  return entries;
}

const Entry& find_entry(const std::string& name) {
  for (const Entry& e : table()) {
    if (e.info.name == name) return e;
  }
  std::vector<std::string> names;
  for (const Entry& e : table()) names.push_back(e.info.name);
  MIPP_FAIL(kNotFound, "unknown model '{}'; the zoo has: {}", name, fmt::join(names, ", "));
}

}  // namespace

const std::vector<ZooEntry>& zoo_entries() {
  static const std::vector<ZooEntry> infos = [] {
    std::vector<ZooEntry> out;
    for (const Entry& e : table()) out.push_back(e.info);
    return out;
  }();
  return infos;
}

ModelSpec resolve(const ModelSpec& spec) {
  const Entry& entry = find_entry(spec.name);
  ModelSpec out = spec;
  if (out.input_shape.empty()) out.input_shape = entry.info.default_input_shape;
  if (out.hidden.empty()) out.hidden = entry.default_hidden;
  MIPP_CHECK(out.num_classes >= 2, kInvalidArgument, "num_classes {}: must be at least 2", out.num_classes);
  MIPP_CHECK(out.width > 0 && out.width <= 16, kInvalidArgument, "width {}: must be in (0, 16]", out.width);
  const Family family = entry.family;
  MIPP_CHECK(family == Family::kMlp || spec.hidden.empty(), kInvalidArgument,
             "hidden widths apply to mlp models only, not {}", spec.name);
  MIPP_CHECK(family == Family::kVgg || family == Family::kResnetCifar || family == Family::kResnetImagenet ||
                 spec.width == 1.0,
             kInvalidArgument, "width {}: applies to vgg and resnet models only, not {}", spec.width, spec.name);
  MIPP_CHECK(family == Family::kResnetImagenet || !spec.small_stem, kInvalidArgument,
             "small stem applies to resnet18, resnet34 and resnet50 only, not {}", spec.name);
  for (int64_t h : out.hidden) {
    MIPP_CHECK(h > 0, kInvalidArgument, "hidden width {}: must be positive", h);
  }
  if (family != Family::kMlp) {
    MIPP_CHECK(out.input_shape.size() == 3, kInvalidArgument, "{}: input shape must be C,H,W, got [{}]", spec.name,
               fmt::join(out.input_shape, ", "));
  }
  return out;
}

void to_json(nlohmann::json& j, const ModelSpec& spec) {
  j = {{"name", spec.name},           {"num_classes", spec.num_classes}, {"input_shape", spec.input_shape},
       {"width", spec.width},         {"hidden", spec.hidden},           {"small_stem", spec.small_stem},
       {"seed", spec.seed}};
}

void from_json(const nlohmann::json& j, ModelSpec& spec) {
  const ModelSpec defaults;
  spec.name = j.at("name").get<std::string>();
  spec.num_classes = j.value("num_classes", defaults.num_classes);
  spec.input_shape = j.value("input_shape", defaults.input_shape);
  spec.width = j.value("width", defaults.width);
  spec.hidden = j.value("hidden", defaults.hidden);
  spec.small_stem = j.value("small_stem", defaults.small_stem);
  spec.seed = j.value("seed", defaults.seed);
}

graph::Network build_model(const ModelSpec& spec) {
  const ModelSpec resolved = resolve(spec);
  graph::Network net = find_entry(resolved.name).build(resolved);
  initialize(net, resolved.seed);
  return net;
}

}  // namespace mipp::models
