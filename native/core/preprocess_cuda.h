// CUDA twin of preprocess.h: the same normalization and zero padding, bit-exact (both sides
// compile without fused multiply-adds).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace sam3clip::cuda {

// rgb (device): width × height × 3 bytes; out (device): 3 × size × size floats.
cudaError_t normalizeToNchw(const uint8_t* rgb, int width, int height, int size, const float mean[3], const float std[3],
                            float* out, cudaStream_t stream);

}  // namespace sam3clip::cuda
