// Inference form of a network: every batch-norm that directly follows a conv or linear layer (and
// is its only reader) folded into that layer's weights and bias, the batch-norm replaced by an
// identity. The eval-mode function is unchanged (up to float rounding); one pass over the
// activations per folded batch-norm disappears. Deployed models are run this way (PyTorch's
// torch.jit.freeze does the same), so latency is measured on it.
#pragma once

#include "mipp/graph/network.h"

namespace mipp::graph {

// A new network; node ids and names are kept (folded batch-norms become identity nodes).
Network fold_batch_norms(const Network& net);

// The same network with every conv weight stored channels-last (NHWC), the layout oneDNN's
// convolutions use natively. Fed a channels-last input, activations stay channels-last throughout
// (conv, relu, pooling and addition keep the layout; flatten copies), so no conv converts layouts.
// Same function; which layout is faster depends on the model and the batch (report/latency.h).
Network with_channels_last_weights(Network net);

}  // namespace mipp::graph
