#include "mipp/dist/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <ATen/ops/cat.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>

#include <charconv>
#include <cstdlib>

#include "mipp/util/device.h"
#include "mipp/util/error.h"

#ifdef MIPP_WITH_CUDA
#include "dist/nccl_backend.h"
#endif

namespace mipp::dist {

namespace {

struct State {
  Launch launch;
  c10::intrusive_ptr<c10d::Backend> backend;
  std::chrono::milliseconds timeout{0};
};

// The process's one group (see the header: process-wide, as torch.distributed's default group).
State& state() {
  static State s;
  return s;
}

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

int env_int(const char* name, int min, int max) {
  const char* text = env(name);
  MIPP_CHECK(text != nullptr, kInvalidArgument,
             "data-parallel launch: {} is not set (RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT go together; "
             "torchrun sets them)", name);
  int value = 0;
  const char* end = text + std::char_traits<char>::length(text);
  const bool ok = std::from_chars(text, end, value).ptr == end && value >= min && value <= max;
  MIPP_CHECK(ok, kInvalidArgument, "data-parallel launch: {}={} is not an integer in [{}, {}]", name, text, min, max);
  return value;
}

// Runs collectives and waits for them; a failure (a peer died, stayed silent past the timeout)
// becomes one Error(kIo) line.
template <typename Start>
void run_collectives(const char* what, Start start) {
  State& s = state();
  try {
    std::vector<c10::intrusive_ptr<c10d::Work>> works = start(*s.backend);
    for (auto& work : works) work->wait(s.timeout);
  } catch (const std::exception& e) {
    std::string reason = e.what();
    if (auto line = reason.find('\n'); line != std::string::npos) reason.resize(line);
    MIPP_FAIL(kIo, "data-parallel {} failed (a peer died or was silent for {} s): {}", what,
              s.timeout.count() / 1000.0, reason);
  }
}

}  // namespace

std::optional<Launch> launch_from_environment() {
  if (env("RANK") == nullptr && env("WORLD_SIZE") == nullptr) return std::nullopt;
  Launch l;
  l.world_size = env_int("WORLD_SIZE", 1, 1 << 20);
  l.rank = env_int("RANK", 0, l.world_size - 1);
  l.local_rank = env("LOCAL_RANK") != nullptr ? env_int("LOCAL_RANK", 0, l.world_size - 1) : l.rank;
  l.local_world_size =
      env("LOCAL_WORLD_SIZE") != nullptr ? env_int("LOCAL_WORLD_SIZE", 1, l.world_size) : l.world_size;
  const char* addr = env("MASTER_ADDR");
  MIPP_CHECK(addr != nullptr, kInvalidArgument,
             "data-parallel launch: MASTER_ADDR is not set (RANK={}, WORLD_SIZE={}; torchrun sets it)", l.rank,
             l.world_size);
  l.master_addr = addr;
  l.master_port = env_int("MASTER_PORT", 1, 65535);
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  l.agent_store = agent != nullptr && std::string(agent) == "True";
  l.restart_count = env("TORCHELASTIC_RESTART_COUNT") != nullptr ? env_int("TORCHELASTIC_RESTART_COUNT", 0, 1 << 20) : 0;
  return l;
}

void init(const Launch& launch, c10::Device device, std::chrono::milliseconds timeout) {
  MIPP_CHECK(!initialized(), kInvalidArgument, "data-parallel run: the process group is already initialised");
  State& s = state();
  s.launch = launch;
  s.timeout = timeout;
  if (launch.world_size == 1) return;  // a run of one needs no group
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(launch.master_port);
    store_options.isServer = launch.rank == 0 && !launch.agent_store;
    store_options.numWorkers = launch.world_size;
    store_options.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(launch.master_addr, store_options);
    // torchrun's agent store is shared by every restart of the job: keys are per attempt (as in
    // torch.distributed's env:// rendezvous).
    const std::string prefix = launch.agent_store ? fmt::format("/worker/attempt_{}/mipp", launch.restart_count) : "mipp";
    store = c10::make_intrusive<c10d::PrefixStore>(prefix, store);

#ifdef MIPP_WITH_CUDA
    if (device.is_cuda() && util::gpu_count() >= launch.local_world_size) {
      s.backend = make_nccl_backend(store, launch.rank, launch.world_size, device, timeout);
      return;
    }
#endif
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    options->devices.push_back(interface != nullptr && *interface != '\0'
                                   ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                   : c10d::ProcessGroupGloo::createDefaultDevice());
    s.backend = c10::make_intrusive<c10d::ProcessGroupGloo>(store, launch.rank, launch.world_size, options);
  } catch (const mipp::Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    if (auto line = reason.find('\n'); line != std::string::npos) reason.resize(line);
    MIPP_FAIL(kIo, "data-parallel run: rank {} of {} cannot join the group at {}:{} ({})", launch.rank,
              launch.world_size, launch.master_addr, launch.master_port, reason);
  }
}

bool initialized() { return state().timeout.count() > 0; }
std::string backend_name() { return state().backend ? state().backend->getBackendName() : ""; }
int rank() { return state().launch.rank; }
int world_size() { return state().launch.world_size; }
bool is_main() { return rank() == 0; }

void all_reduce_sum(std::vector<at::Tensor>& tensors) {
  if (world_size() == 1 || tensors.empty()) return;
  // One collective per tensor, all in flight at once: c10d reads a list as one tensor's copies on
  // several devices.
  run_collectives("all-reduce", [&](c10d::Backend& b) {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (at::Tensor& t : tensors) {
      std::vector<at::Tensor> one{t};
      works.push_back(b.allreduce(one));
    }
    return works;
  });
}

void all_reduce_sum(at::Tensor& tensor) {
  std::vector<at::Tensor> one{tensor};
  all_reduce_sum(one);
}

void barrier() {
  if (world_size() == 1) return;
  run_collectives("barrier", [&](c10d::Backend& b) { return std::vector<c10::intrusive_ptr<c10d::Work>>{b.barrier()}; });
}

void broadcast_from_rank0(std::vector<at::Tensor>& tensors) {
  if (world_size() == 1 || tensors.empty()) return;
  run_collectives("broadcast", [&](c10d::Backend& b) {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (at::Tensor& t : tensors) {
      std::vector<at::Tensor> one{t};  // one collective per tensor, as in all_reduce_sum
      works.push_back(b.broadcast(one, c10d::BroadcastOptions{/*rootRank=*/0}));
    }
    return works;
  });
}

bool rank0_decides(bool value) {
  std::vector<at::Tensor> flag{at::full({1}, value ? 1 : 0, at::kLong)};
  broadcast_from_rank0(flag);
  return flag[0].item<int64_t>() != 0;
}

Share my_share(int64_t n) {
  const int64_t ranks = world_size(), r = rank();
  const int64_t first = n * r / ranks;
  return {first, n * (r + 1) / ranks - first};
}

at::Tensor all_gather_rows(const at::Tensor& rows) {
  const int ranks = world_size();
  if (ranks == 1) return rows;
  // Collectives move equal sizes: share the row counts, pad every part to the largest, trim after.
  at::Tensor counts = at::zeros({ranks}, at::kLong);
  counts[rank()] = rows.size(0);
  all_reduce_sum(counts);
  const int64_t most = counts.max().item<int64_t>();
  std::vector<int64_t> padded_sizes = rows.sizes().vec();
  padded_sizes[0] = most;
  at::Tensor padded = at::zeros(padded_sizes, rows.options());
  padded.narrow(0, 0, rows.size(0)).copy_(rows);
  padded = padded.contiguous();
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < ranks; ++r) outputs[0].push_back(at::empty_like(padded));
  std::vector<at::Tensor> input{padded};
  run_collectives("all-gather", [&](c10d::Backend& b) {
    return std::vector<c10::intrusive_ptr<c10d::Work>>{b.allgather(outputs, input)};
  });
  std::vector<at::Tensor> parts;
  for (int r = 0; r < ranks; ++r) parts.push_back(outputs[0][r].narrow(0, 0, counts[r].item<int64_t>()));
  return at::cat(parts);
}

}  // namespace mipp::dist
