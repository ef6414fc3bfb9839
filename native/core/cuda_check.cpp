#include "cuda_check.h"

namespace sam3clip {

void throwIfCudaFailed(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  // Clears a non-sticky error so the next call on this thread does not report it again.
  cudaGetLastError();
  const std::string detail = std::string(what) + ": " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")";
  throw CudaFailure(status == cudaErrorMemoryAllocation ? "E_GPU_OOM" : "E_CUDA", detail);
}

}  // namespace sam3clip
