#include <map>
#include <fmt/ranges.h>

#include "mipp/util/error.h"
#include "models/architectures.h"
#include "models/builder.h"

namespace mipp::models {

namespace {

constexpr int64_t kPool = 0;  // marks a 2x2 max-pool in a configuration

// Simonyan & Zisserman (2015) configurations A, B, D, E; numbers are conv widths.
const std::map<std::string, std::vector<int64_t>>& configurations() {
  static const std::map<std::string, std::vector<int64_t>> table = {
      {"vgg11", {64, kPool, 128, kPool, 256, 256, kPool, 512, 512, kPool, 512, 512, kPool}},
      {"vgg13", {64, 64, kPool, 128, 128, kPool, 256, 256, kPool, 512, 512, kPool, 512, 512, kPool}},
      {"vgg16", {64, 64, kPool, 128, 128, kPool, 256, 256, 256, kPool, 512, 512, 512, kPool, 512, 512, 512, kPool}},
      {"vgg19", {64, 64, kPool, 128, 128, kPool, 256, 256, 256, 256, kPool, 512, 512, 512, 512, kPool, 512, 512,
                 512, 512, kPool}},
  };
  return table;
}

}  // namespace

// CIFAR-style VGG: features.N numbered as in torchvision (conv, bn, relu take one index each),
// then global average pooling and a single linear classifier, as in the CIFAR pruning literature.
graph::Network build_vgg(const ModelSpec& spec) {
  const auto& shape = spec.input_shape;
  MIPP_CHECK(shape.size() == 3 && shape[1] >= 32 && shape[2] >= 32, kInvalidArgument,
             "{}: input [{}] is too small; its five 2x2 poolings need at least 32x32 (pad 28x28 images to 32)",
             spec.name, fmt::join(shape, ", "));
  graph::Network net(shape);
  Builder b(net);
  int x = 0;
  int index = 0;
  for (int64_t entry : configurations().at(spec.name)) {
    if (entry == kPool) {
      x = b.max_pool(fmt::format("features.{}", index++), x, 2, 2);
      continue;
    }
    x = b.conv(fmt::format("features.{}", index++), x, scaled(entry, spec.width), 3, 1, 1, /*bias=*/false);
    x = b.batch_norm(fmt::format("features.{}", index++), x);
    x = b.relu(fmt::format("features.{}", index++), x);
  }
  x = b.global_avg_pool("avgpool", x);
  x = b.flatten("flatten", x);
  b.linear("classifier", x, spec.num_classes);
  return net;
}

}  // namespace mipp::models
