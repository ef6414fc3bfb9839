// CUDA failures as exceptions with a stable code for JavaScript: out-of-memory is E_GPU_OOM
// (the caller can free caches and retry), everything else E_CUDA.
#pragma once
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace sam3clip {

struct CudaFailure : std::runtime_error {
  std::string code;
  CudaFailure(std::string c, const std::string& message) : std::runtime_error(message), code(std::move(c)) {}
};

// Throws CudaFailure when status is not cudaSuccess; `what` names the operation.
void throwIfCudaFailed(cudaError_t status, const char* what);

}  // namespace sam3clip
