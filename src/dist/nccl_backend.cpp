// NCCL process groups for ranks on GPUs; compiled in CUDA builds only (CMakeLists.txt). Kept apart
// from process_group.cpp because ProcessGroupNCCL's header pulls in the CUDA runtime's.
#include "dist/nccl_backend.h"

#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

namespace mipp::dist {

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                    c10::Device device, std::chrono::milliseconds timeout) {
  // NCCL finds a rank's GPU from the current device; each rank has its own.
  c10::cuda::set_device(device.index());
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

}  // namespace mipp::dist
