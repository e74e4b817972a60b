// TorchScript code generation for a graph::Network (used by io::save_model).
#pragma once

#include <map>
#include <string>

#include "mipp/graph/network.h"

namespace mipp::io {

// Module attribute names, per node and tensor key: attribute_names[node_id]["weight"].
using AttributeNames = std::vector<std::map<std::string, std::string>>;

// One Python-identifier attribute name per tensor, readable and unique: "layer1.0.conv1" +
// "weight" -> "layer1_0_conv1_weight" (a numeric suffix resolves the rare clash).
AttributeNames make_attribute_names(const graph::Network& net);

// The `forward` method as TorchScript source: one statement per node, each commented with the
// node's name. Batch-norm and dropout follow the module's `training` flag, like nn.Module.
std::string forward_source(const graph::Network& net, const AttributeNames& names);

}  // namespace mipp::io
