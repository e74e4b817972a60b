// Builder: appends the usual layer patterns to a Network with PyTorch-style names, reading the
// input width from the graph so model code only states what changes (output widths, strides).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "mipp/graph/network.h"

namespace mipp::models {

class Builder {
 public:
  explicit Builder(graph::Network& net) : net_(net) {}

  int64_t channels(int id) const { return net_.node(id).out_shape.front(); }

  int conv(const std::string& name, int in, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
           bool bias) {
    graph::Conv2dOp op;
    op.in_channels = channels(in);
    op.out_channels = out_channels;
    op.kernel = {kernel, kernel};
    op.stride = {stride, stride};
    op.padding = {padding, padding};
    op.bias = bias;
    return net_.add(name, op, {in});
  }
  int batch_norm(const std::string& name, int in) { return net_.add(name, graph::BatchNormOp{channels(in)}, {in}); }
  int relu(const std::string& name, int in) { return net_.add(name, graph::ActivationOp{}, {in}); }
  int max_pool(const std::string& name, int in, int64_t kernel, int64_t stride, int64_t padding = 0) {
    return net_.add(name, graph::MaxPoolOp{{kernel, kernel}, {stride, stride}, {padding, padding}}, {in});
  }
  int global_avg_pool(const std::string& name, int in) { return net_.add(name, graph::AdaptiveAvgPoolOp{}, {in}); }
  int flatten(const std::string& name, int in) { return net_.add(name, graph::FlattenOp{}, {in}); }
  int linear(const std::string& name, int in, int64_t out_features) {
    return net_.add(name, graph::LinearOp{channels(in), out_features, true}, {in});
  }
  int add(const std::string& name, int a, int b) { return net_.add(name, graph::AddOp{}, {a, b}); }

 private:
  graph::Network& net_;
};

// Channel count after the width multiplier: rounded, never below 1.
inline int64_t scaled(int64_t channels, double width) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(channels) * width));
}

}  // namespace mipp::models
