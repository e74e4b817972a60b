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

// Whether `git_commit` names a build from a working tree with uncommitted changes ("abc1234-dirty").
bool is_dirty_build(const std::string& git_commit);

// Throws Error(kInvalidArgument) when `git_commit` names a build with uncommitted changes
// ("abc1234-dirty") and `allow_dirty` is false: results would name a commit whose code they did not
// run. A build outside a git checkout ("unknown") passes; its cells say "unknown".
void check_publishable(const std::string& git_commit, bool allow_dirty);

// What one cell ran with, for its line in cells.jsonl, so that a number traces to its code and
// settings even where a folder's cells come from several sittings: "ran_with" (index of the run in
// the manifest, mipp version, git commit, LibTorch version and CUDA, device, threads) and "config"
// (the resolved configuration `config_json` narrowed to the cell's model and method; the cell's
// sparsity and seed are in its record).
nlohmann::json cell_provenance(const nlohmann::json& config_json, size_t model, size_t method,
                               const nlohmann::json& environment, size_t run_index);

// The "ran_with" part alone (for the dense models' records).
nlohmann::json ran_with(const nlohmann::json& environment, size_t run_index);

// CRC-32 of a dataset's inputs and labels as used (after fitting and normalisation), with sizes.
nlohmann::json dataset_checksum(const data::Dataset& d);

}  // namespace mipp::bench
