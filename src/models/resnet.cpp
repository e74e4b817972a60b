#include <map>
#include <fmt/ranges.h>

#include "mipp/util/error.h"
#include "models/architectures.h"
#include "models/builder.h"

namespace mipp::models {

namespace {

// A shortcut needs a projection (1x1 conv + batch-norm, "downsample") when the block changes the
// width or the resolution; otherwise it is the identity.
int shortcut(Builder& b, const std::string& prefix, int in, int64_t out_channels, int64_t stride) {
  if (stride == 1 && b.channels(in) == out_channels) return in;
  int s = b.conv(prefix + ".downsample.0", in, out_channels, 1, stride, 0, /*bias=*/false);
  return b.batch_norm(prefix + ".downsample.1", s);
}

// He et al. (2016) basic block: 3x3 conv (stride) - bn - relu - 3x3 conv - bn, plus the shortcut,
// then relu. Names follow torchvision: layer1.0.conv1, layer1.0.bn1, ...
int basic_block(Builder& b, const std::string& prefix, int in, int64_t planes, int64_t stride) {
  int x = b.conv(prefix + ".conv1", in, planes, 3, stride, 1, false);
  x = b.batch_norm(prefix + ".bn1", x);
  x = b.relu(prefix + ".relu1", x);
  x = b.conv(prefix + ".conv2", x, planes, 3, 1, 1, false);
  x = b.batch_norm(prefix + ".bn2", x);
  x = b.add(prefix + ".add", x, shortcut(b, prefix, in, planes, stride));
  return b.relu(prefix + ".relu2", x);
}

// Bottleneck block (torchvision's "v1.5": the stride sits on the 3x3 conv): 1x1 reduce to
// `planes`, 3x3, 1x1 expand to 4 * planes.
int bottleneck_block(Builder& b, const std::string& prefix, int in, int64_t planes, int64_t stride) {
  constexpr int64_t kExpansion = 4;
  int x = b.conv(prefix + ".conv1", in, planes, 1, 1, 0, false);
  x = b.batch_norm(prefix + ".bn1", x);
  x = b.relu(prefix + ".relu1", x);
  x = b.conv(prefix + ".conv2", x, planes, 3, stride, 1, false);
  x = b.batch_norm(prefix + ".bn2", x);
  x = b.relu(prefix + ".relu2", x);
  x = b.conv(prefix + ".conv3", x, planes * kExpansion, 1, 1, 0, false);
  x = b.batch_norm(prefix + ".bn3", x);
  x = b.add(prefix + ".add", x, shortcut(b, prefix, in, planes * kExpansion, stride));
  return b.relu(prefix + ".relu3", x);
}

void classifier(Builder& b, int x, int64_t num_classes) {
  x = b.global_avg_pool("avgpool", x);
  x = b.flatten("flatten", x);
  b.linear("fc", x, num_classes);
}

void require_feature_map(const ModelSpec& spec) {
  MIPP_CHECK(spec.input_shape.size() == 3, kInvalidArgument, "{}: needs a [C, H, W] input shape, got [{}]",
             spec.name, fmt::join(spec.input_shape, ", "));
}

}  // namespace

// CIFAR ResNets (He et al. 2016, section 4.2): depth 6n+2, three stages of n basic blocks with
// 16, 32, 64 channels. Downsampling shortcuts are 1x1 convs with batch-norm (option B), which
// keeps every tensor a graph node that pruning can slice.
graph::Network build_resnet_cifar(const ModelSpec& spec) {
  require_feature_map(spec);
  static const std::map<std::string, int> blocks_per_stage = {
      {"resnet20", 3}, {"resnet32", 5}, {"resnet56", 9}, {"resnet110", 18}};
  const int n = blocks_per_stage.at(spec.name);
  graph::Network net(spec.input_shape);
  Builder b(net);
  int x = b.conv("conv1", 0, scaled(16, spec.width), 3, 1, 1, false);
  x = b.batch_norm("bn1", x);
  x = b.relu("relu", x);
  const int64_t widths[] = {16, 32, 64};
  for (int stage = 0; stage < 3; ++stage) {
    for (int i = 0; i < n; ++i) {
      const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
      x = basic_block(b, fmt::format("layer{}.{}", stage + 1, i), x, scaled(widths[stage], spec.width), stride);
    }
  }
  classifier(b, x, spec.num_classes);
  return net;
}

// ImageNet ResNets as torchvision builds them: 7x7/2 stem and 3x3/2 max-pool, four stages of
// 64-128-256-512 planes. small_stem swaps the stem for a 3x3/1 conv without max-pool, the usual
// adaptation to 32x32 inputs.
graph::Network build_resnet_imagenet(const ModelSpec& spec) {
  require_feature_map(spec);
  struct Layout {
    bool bottleneck;
    std::array<int, 4> blocks;
  };
  static const std::map<std::string, Layout> layouts = {
      {"resnet18", {false, {2, 2, 2, 2}}}, {"resnet34", {false, {3, 4, 6, 3}}}, {"resnet50", {true, {3, 4, 6, 3}}}};
  const Layout& layout = layouts.at(spec.name);
  graph::Network net(spec.input_shape);
  Builder b(net);
  int x = spec.small_stem ? b.conv("conv1", 0, scaled(64, spec.width), 3, 1, 1, false)
                          : b.conv("conv1", 0, scaled(64, spec.width), 7, 2, 3, false);
  x = b.batch_norm("bn1", x);
  x = b.relu("relu", x);
  if (!spec.small_stem) x = b.max_pool("maxpool", x, 3, 2, 1);
  const int64_t planes[] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    for (int i = 0; i < layout.blocks[stage]; ++i) {
      const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
      const std::string prefix = fmt::format("layer{}.{}", stage + 1, i);
      const int64_t p = scaled(planes[stage], spec.width);
      x = layout.bottleneck ? bottleneck_block(b, prefix, x, p, stride) : basic_block(b, prefix, x, p, stride);
    }
  }
  classifier(b, x, spec.num_classes);
  return net;
}

}  // namespace mipp::models
