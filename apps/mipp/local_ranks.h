// `mipp train --nproc N`: the same command as N local ranks of a data-parallel run, as
// `torchrun --no-python --nproc-per-node N mipp train ...` would start them, without torchrun.
#pragma once

#include <cstdint>

namespace mipp::cli {

// Starts this process's own command line N times, each with RANK, LOCAL_RANK, WORLD_SIZE,
// LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT in its environment, and waits.
// When a rank fails, the others get 10 s to fail on their own (they do at their next collective)
// and are then stopped (SIGTERM); a rank killed by a signal is named in one error line. Returns the
// exit code of the first rank that failed, else 0. Ctrl-C reaches every rank (same process group); this process waits for them.
int run_local_ranks(int nproc);

// What a data-parallel command does with its --nproc before anything else: N > 1 outside a launch
// runs the N ranks and ends the command with their exit code (throws ExitRequest); under a launch
// (torchrun), N must be 1 or WORLD_SIZE. Returns the world size the command runs in.
// `batch_size` (0: none) must be a multiple of it.
int start_local_ranks_if_asked(int nproc, int64_t batch_size);

}  // namespace mipp::cli
