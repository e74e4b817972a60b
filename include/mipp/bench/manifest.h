// manifest.json of a bench: what is needed to trust and repeat it — mipp version and git commit,
// LibTorch version, threads, CPU model, the configuration with defaults filled in, the dataset's
// checksums, and one entry per run (a resumed bench has several).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mipp/data/dataset.h"

namespace mipp::bench {

// mipp and LibTorch versions, git commit, threads in effect, CPU model (from /proc/cpuinfo) and
// hardware threads.
nlohmann::json run_environment(int threads);

// CRC-32 of a dataset's inputs and labels as used (after fitting and normalisation), with sizes.
nlohmann::json dataset_checksum(const data::Dataset& d);

}  // namespace mipp::bench
