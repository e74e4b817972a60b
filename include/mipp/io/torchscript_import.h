// Importing PyTorch models: a TorchScript file written by torch.jit.script or torch.jit.trace
// (and saved with torch.jit.save) becomes a graph::Network, so that mipp can inspect, prune and
// export it like its own models.
//
// The importer walks the module's `forward` graph symbolically, entering submodule calls and
// TorchScript functions, taking the branches its constants decide (eval mode: `self.training` is
// False), and maps each tensor op to a graph op: convolutions (groups, depthwise), linear,
// batch-norm, ReLU / leaky ReLU / GELU / sigmoid / tanh / hardtanh (ReLU6) / SiLU, max / average /
// adaptive-average pooling, flatten (and view / reshape to (N, -1)), residual adds, channel
// concatenation, dropout. Parameters are read from the module's attributes; nodes keep the
// module names (`layer2.0.conv1`), so reports speak the user's language.
//
// Anything else (an unknown op, data-dependent control flow, a shape computed from the batch in
// another way) is an Error(kNotSupported) naming the op, its source location and the module it is
// in. Hard-coded sizes that only block pruning (`x.view(-1, 400)` after a conv) do not fail the
// import: the channels they fix are frozen (graph::Node::frozen) and the reason is kept in the
// model's history, so the rest of the model is still pruned.
#pragma once

#include <string>

#include "mipp/graph/network.h"
#include "mipp/io/model_file.h"

namespace torch::jit {
struct Module;
}

namespace mipp::io {

struct ImportOptions {
  // Per-sample input shape ([C, H, W] or [F]); TorchScript files do not record it. Required.
  graph::Shape input_shape;
};

// Reads a TorchScript file and builds the network. The metadata's architecture is the module's
// class name ("ResNet"); its history starts with {"action": "import", "source": path,
// "input_shape": [...], "notes": [why channels were frozen, ...]}.
// Throws Error(kNotFound) for a missing file, Error(kCorruption) for a file that is not a
// TorchScript archive, Error(kInvalidArgument) for a missing or wrong input shape, and
// Error(kNotSupported) for a model mipp cannot represent (naming the op and where it is).
Model import_torchscript(const std::string& path, const ImportOptions& options);

// The same for a module already in memory (Python's torch.jit.script / trace of a user's model):
// `source` names it in messages and in the import record. The network's tensors share memory with
// the module's attributes; the module is left as it was (its training flag included). The probe
// input goes to the device of the module's parameters.
Model import_module(const torch::jit::Module& module, const std::string& source, const ImportOptions& options);

// load_model() for files mipp wrote; import_torchscript() for other TorchScript files. The
// input shape is needed only for the latter: without it, Error(kInvalidArgument) asks for it.
Model load_or_import_model(const std::string& path, const ImportOptions& options,
                           const std::vector<std::string>& extra_entries = {});

}  // namespace mipp::io
