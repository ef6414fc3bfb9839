// CUDA twin of selection.h: the same rule, one thread per prompt.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace sam3clip::cuda {

// Device pointers; asynchronous on `stream`; returns the launch error.
cudaError_t selectCandidates(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                             uint8_t* passed, cudaStream_t stream);

}  // namespace sam3clip::cuda
