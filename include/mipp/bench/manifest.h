// manifest.json of a bench: what is needed to trust and repeat it — mipp version and git commit,
// LibTorch version, threads, CPU model, the configuration with defaults filled in, the dataset's
// checksums, and one entry per run (a resumed bench has several).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/data/dataset.h"

namespace mipp::bench {

// mipp and LibTorch versions (with the CUDA version linked, or "cpu", and the vector instruction set
// LibTorch's CPU kernels use), git commit, threads in effect, CPU model and widest vector instruction
// set (from /proc/cpuinfo) and hardware threads.
nlohmann::json run_environment(int threads);

// The LibTorch mipp was compiled against ("2.11.0"), and the vector instruction set its CPU kernels
// use on this machine ("AVX2", "AVX512", "DEFAULT"): CPU results repeat bit for bit only where both match.
std::string libtorch_version();
std::string libtorch_cpu_capability();

// CRC-32 of a dataset's inputs and labels as used (after fitting and normalisation), with sizes.
nlohmann::json dataset_checksum(const data::Dataset& d);

}  // namespace mipp::bench
