#include "models/architectures.h"
#include "models/builder.h"

namespace mipp::models {

// LeNet-5 (LeCun et al. 1998) with ReLU and max-pooling, as commonly trained today. conv1 pads by 2
// so a 28x28 input behaves like the original 32x32 one (28x28 -> 6x28x28 -> ... -> 16x5x5).
graph::Network build_lenet5(const ModelSpec& spec) {
  graph::Network net(spec.input_shape);
  Builder b(net);
  int x = b.conv("conv1", 0, 6, 5, 1, 2, /*bias=*/true);
  x = b.relu("relu1", x);
  x = b.max_pool("pool1", x, 2, 2);
  x = b.conv("conv2", x, 16, 5, 1, 0, /*bias=*/true);
  x = b.relu("relu2", x);
  x = b.max_pool("pool2", x, 2, 2);
  x = b.flatten("flatten", x);
  x = b.linear("fc1", x, 120);
  x = b.relu("relu3", x);
  x = b.linear("fc2", x, 84);
  x = b.relu("relu4", x);
  b.linear("fc3", x, spec.num_classes);
  return net;
}

}  // namespace mipp::models
