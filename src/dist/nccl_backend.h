// The NCCL backend of a data-parallel run on GPUs (CUDA builds only).
#pragma once

#include <chrono>

#include <c10/core/Device.h>
#include <c10/util/intrusive_ptr.h>

namespace c10d {
class Backend;
class Store;
}  // namespace c10d

namespace mipp::dist {

// A c10d NCCL backend for `rank` of `size`, on `device` (a GPU no other rank of this machine uses).
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                    c10::Device device, std::chrono::milliseconds timeout);

}  // namespace mipp::dist
