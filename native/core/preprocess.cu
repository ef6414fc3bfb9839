#include "preprocess_cuda.h"

namespace sam3clip::cuda {
namespace {

struct Channels {
  float mean[3], std[3];
};

// One thread per output float: x from the block's x, a grid-stride loop over rows, the channel
// from z; no index divisions.
__global__ void normalizeKernel(const uint8_t* rgb, int width, int height, int size, Channels ch, float* out) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x, c = blockIdx.z;
  if (x >= size) return;
  for (int y = blockIdx.y; y < size; y += gridDim.y) {
    float v = 0.0f;
    if (x < width && y < height) {
      const float pixel = static_cast<float>(rgb[(static_cast<size_t>(y) * width + x) * 3 + c]);
      // Same operations, same order as the CPU table: (v / 255 - mean) / std, IEEE division.
      v = __fdiv_rn(__fsub_rn(__fdiv_rn(pixel, 255.0f), ch.mean[c]), ch.std[c]);
    }
    out[(static_cast<size_t>(c) * size + y) * size + x] = v;
  }
}

}  // namespace

cudaError_t normalizeToNchw(const uint8_t* rgb, int width, int height, int size, const float mean[3], const float std[3],
                            float* out, cudaStream_t stream) {
  Channels ch{{mean[0], mean[1], mean[2]}, {std[0], std[1], std[2]}};
  if (size <= 0) return cudaSuccess;
  const dim3 block(256), grid((size + 255) / 256, size < 65535 ? size : 65535, 3);
  normalizeKernel<<<grid, block, 0, stream>>>(rgb, width, height, size, ch, out);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
