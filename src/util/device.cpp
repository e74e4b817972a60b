#include "mipp/util/device.h"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <charconv>

#include "mipp/util/error.h"

#ifdef MIPP_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace mipp::util {

int gpu_count() {
#ifdef MIPP_WITH_CUDA
  return at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
#else
  return 0;
#endif
}

c10::Device resolve_device(const std::string& text) {
  if (text == "cpu") return c10::Device(c10::kCPU);
  if (text == "auto") return gpu_count() > 0 ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  int index = 0;
  if (text != "cuda") {
    const std::string prefix = "cuda:";
    const char* first = text.data() + prefix.size();
    const char* last = text.data() + text.size();
    const bool numeric = text.rfind(prefix, 0) == 0 && text.size() > prefix.size() &&
                         std::from_chars(first, last, index).ptr == last && index >= 0;
    MIPP_CHECK(numeric, kInvalidArgument, "--device {}: expected auto, cpu, cuda or cuda:N", text);
  }
#ifndef MIPP_WITH_CUDA
  MIPP_FAIL(kInvalidArgument,
            "--device {}: this mipp is a CPU-only build (rebuild with -DMIPP_CUDA=ON against a CUDA torch)", text);
#else
  const int gpus = gpu_count();
  MIPP_CHECK(gpus > 0, kInvalidArgument, "--device {}: no GPU is visible to this process (CUDA driver or "
             "CUDA_VISIBLE_DEVICES)", text);
  MIPP_CHECK(index < gpus, kInvalidArgument, "--device {}: this machine has {} GPU{} (cuda:0{})", text, gpus,
             gpus == 1 ? "" : "s", gpus == 1 ? "" : fmt::format("..cuda:{}", gpus - 1));
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
#endif
}

std::string describe_device(c10::Device device) {
  if (!device.is_cuda()) return device.str();
#ifdef MIPP_WITH_CUDA
  const int index = device.has_index() ? device.index() : 0;
  return fmt::format("cuda:{} ({})", index, at::cuda::getDeviceProperties(index)->name);
#else
  return device.str();
#endif
}

}  // namespace mipp::util
