// Data-parallel runs: several processes (ranks), each with its share of the data, joined by one of
// torch.distributed's c10d process groups — Gloo between CPU processes, the same as PyTorch's own
// `torch.distributed.init_process_group("gloo")` — so mipp runs under PyTorch's launcher:
//
//   torchrun --no-python --nproc-per-node 2 mipp train --model lenet5 --out m.pt
//
// torchrun (or `mipp train --nproc N`, or a cluster scheduler) describes each rank in environment
// variables; init() joins the group they name. Like torch.distributed's default group, the group is
// process-wide: a process takes part in one run. Without init() every function here behaves as a
// run of one process (rank 0 of 1), so single-process code needs no branches.
//
// Collectives block until every rank has called them; a rank that dies or stalls makes the others'
// next collective fail with Error(kIo) within the timeout given to init(), never hang.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace mipp::dist {

// A rank's place in the run, as the launcher wrote it in the environment.
struct Launch {
  int rank = 0;                // RANK
  int world_size = 1;          // WORLD_SIZE
  int local_rank = 0;          // LOCAL_RANK: the rank on this machine (picks its GPU)
  int local_world_size = 1;    // LOCAL_WORLD_SIZE: ranks on this machine (WORLD_SIZE when unset)
  std::string master_addr;     // MASTER_ADDR: the host of rank 0's store
  int master_port = 0;         // MASTER_PORT
  // TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent already serves the store on MASTER_PORT and
  // every rank is its client; otherwise rank 0 serves it. TORCHELASTIC_RESTART_COUNT keys a restart.
  bool agent_store = false;
  int restart_count = 0;
};

// The launch the environment describes, or nullopt when it names none (no RANK, no WORLD_SIZE).
// Throws Error(kInvalidArgument) naming the variable when it is incomplete or malformed.
std::optional<Launch> launch_from_environment();

// Joins the run's process group: NCCL when `device` is a GPU and this machine has a GPU for each of
// its ranks (CUDA builds), else Gloo (which also reduces GPU tensors, through host memory).
// `timeout` bounds every collective: a peer that does not answer within it fails the collective.
// Throws Error(kIo) when the store or a peer cannot be reached.
void init(const Launch& launch, c10::Device device, std::chrono::milliseconds timeout);
bool initialized();
// "gloo" or "nccl" after init(); "" without a group.
std::string backend_name();

int rank();        // 0 without init()
int world_size();  // 1 without init()
bool is_main();    // rank() == 0: the rank that writes files and progress

// Sums each tensor across ranks, in place (a no-op in a run of one). The tensors must be dense and
// contiguous; on return every rank holds the same sums.
void all_reduce_sum(std::vector<at::Tensor>& tensors);
void all_reduce_sum(at::Tensor& tensor);
// Waits until every rank has reached it.
void barrier();

// Overwrites each tensor with rank 0's (a no-op in a run of one).
void broadcast_from_rank0(std::vector<at::Tensor>& tensors);

// Rank 0's `value` on every rank: for decisions a rank takes from files only rank 0 writes (has
// this cell run? is that model trained?), so all ranks take the same path through collectives.
bool rank0_decides(bool value);

// This rank's contiguous share [first, first + count) of `n` items split as evenly as possible in
// rank order (a rank may get none when n < world_size()); all of them in a run of one. Shares in
// rank order tile [0, n), so gathering per-share results in rank order restores the item order.
struct Share {
  int64_t first = 0;
  int64_t count = 0;
};
Share my_share(int64_t n);

// Every rank's `rows` (a tensor [r_i, ...], r_i may differ and be 0; trailing sizes and dtype
// equal) concatenated along dimension 0 in rank order; `rows` itself in a run of one.
at::Tensor all_gather_rows(const at::Tensor& rows);

}  // namespace mipp::dist
