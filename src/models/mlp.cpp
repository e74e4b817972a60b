#include "models/architectures.h"
#include "models/builder.h"

namespace mipp::models {

// Flatten, then hidden linear layers with ReLU, then the classifier: fc1, relu1, ..., fc{k+1}.
graph::Network build_mlp(const ModelSpec& spec) {
  graph::Network net(spec.input_shape);
  Builder b(net);
  int x = spec.input_shape.size() == 1 ? 0 : b.flatten("flatten", 0);
  for (size_t i = 0; i < spec.hidden.size(); ++i) {
    x = b.linear(fmt::format("fc{}", i + 1), x, spec.hidden[i]);
    x = b.relu(fmt::format("relu{}", i + 1), x);
  }
  b.linear(fmt::format("fc{}", spec.hidden.size() + 1), x, spec.num_classes);
  return net;
}

}  // namespace mipp::models
