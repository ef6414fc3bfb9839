#include "preprocess_cuda.h"

namespace sam3clip::cuda {
namespace {

struct Channels {
  float mean[3], std[3];
};

__global__ void normalizeKernel(const uint8_t* rgb, int width, int height, int size, Channels ch, float* out) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long plane = static_cast<long>(size) * size;
  if (i >= 3 * plane) return;
  const int c = static_cast<int>(i / plane);
  const long rest = i - c * plane;
  const int y = static_cast<int>(rest / size), x = static_cast<int>(rest % size);
  float v = 0.0f;
  if (x < width && y < height) {
    const float pixel = static_cast<float>(rgb[(static_cast<long>(y) * width + x) * 3 + c]);
    // Same operations, same order as the CPU table: (v / 255 - mean) / std, IEEE division.
    v = __fdiv_rn(__fsub_rn(__fdiv_rn(pixel, 255.0f), ch.mean[c]), ch.std[c]);
  }
  out[i] = v;
}

}  // namespace

cudaError_t normalizeToNchw(const uint8_t* rgb, int width, int height, int size, const float mean[3], const float std[3],
                            float* out, cudaStream_t stream) {
  Channels ch{{mean[0], mean[1], mean[2]}, {std[0], std[1], std[2]}};
  const long n = 3L * size * size;
  normalizeKernel<<<static_cast<unsigned>((n + 255) / 256), 256, 0, stream>>>(rgb, width, height, size, ch, out);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
