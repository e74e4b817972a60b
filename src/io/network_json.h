// The graph part of mipp.json: nodes with their ops, attributes, inputs, and the module attribute
// that holds each tensor. Tensors themselves live in the TorchScript archive, not in the JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "io/torchscript_source.h"
#include "mipp/graph/network.h"

namespace mipp::io {

nlohmann::json network_to_json(const graph::Network& net, const AttributeNames& names);

// Rebuilds the structure (tensors freshly allocated, to be filled by the caller) and returns the
// attribute names. Throws Error(kCorruption) naming the node when the JSON is inconsistent.
graph::Network network_from_json(const nlohmann::json& j, AttributeNames& names);

}  // namespace mipp::io
