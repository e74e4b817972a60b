// Devices: where a network's tensors and the work on them live.
//
// The device belongs to the model (graph::Network::to) and to the options of the code that works
// on it; data stays on the host and moves per batch. Randomness is drawn from CPU generators and
// moved, so the same seed gives the same random numbers (initial weights, data order, dropout
// masks) on every device; results still differ between a CPU and a GPU by floating-point
// summation order and kernel choice (docs/USAGE.md, "Devices").
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace mipp::util {

// Resolves a --device value: "cpu", "cuda" (GPU 0), "cuda:N", or "auto" = GPU 0 when this build
// has CUDA and a GPU is visible, else the CPU. Throws Error(kInvalidArgument) naming the value when
// it is malformed, when it asks for a GPU in a CPU-only build or on a machine without one, or for
// an index beyond the GPUs present.
c10::Device resolve_device(const std::string& text);

// "cpu", or "cuda:0 (NVIDIA H100 80GB HBM3)": for logs and reports.
std::string describe_device(c10::Device device);

// Number of GPUs this process can use (0 in a CPU-only build).
int gpu_count();

}  // namespace mipp::util
