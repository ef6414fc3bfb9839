#include <algorithm>
#include <climits>

#include "mask_stats_cuda.h"

namespace sam3clip::cuda {
namespace {

__global__ void initKernel(MaskStatsDevice* out) {
  *out = {0ull, INT_MAX, INT_MAX, -1, -1};
}

// Grid-stride over rows (blockIdx.y) and columns (x): coordinates come from the indices, not from
// dividing a pixel index. Each block reduces in shared memory, then one atomic per field.
__global__ void statsKernel(const uint8_t* mask, int width, int height, MaskStatsDevice* out) {
  __shared__ unsigned long long area;
  __shared__ int minX, minY, maxX, maxY;
  if (threadIdx.x == 0) {
    area = 0;
    minX = minY = INT_MAX;
    maxX = maxY = -1;
  }
  __syncthreads();
  unsigned long long count = 0;
  int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
  for (int y = blockIdx.y; y < height; y += gridDim.y) {
    const uint8_t* row = mask + static_cast<size_t>(y) * width;
    for (int x = blockIdx.x * blockDim.x + threadIdx.x; x < width; x += gridDim.x * blockDim.x) {
      if (!row[x]) continue;
      count++;
      x0 = min(x0, x);
      x1 = max(x1, x);
      y0 = min(y0, y);
      y1 = max(y1, y);
    }
  }
  if (count) {
    atomicAdd(&area, count);
    atomicMin(&minX, x0);
    atomicMin(&minY, y0);
    atomicMax(&maxX, x1);
    atomicMax(&maxY, y1);
  }
  __syncthreads();
  if (threadIdx.x == 0 && area) {
    atomicAdd(&out->area, area);
    atomicMin(&out->minX, minX);
    atomicMin(&out->minY, minY);
    atomicMax(&out->maxX, maxX);
    atomicMax(&out->maxY, maxY);
  }
}

}  // namespace

cudaError_t maskStats(const uint8_t* mask, int width, int height, MaskStatsDevice* out, cudaStream_t stream) {
  initKernel<<<1, 1, 0, stream>>>(out);
  if (width > 0 && height > 0) {
    // About 4096 blocks: enough to fill any GPU, few enough that the per-block atomics on `out`
    // do not queue up.
    const int threads = 256;
    const int columns = std::min((width + threads - 1) / threads, 64);
    const int rows = std::min(height, std::max(1, 4096 / columns));
    statsKernel<<<dim3(columns, rows), threads, 0, stream>>>(mask, width, height, out);
  }
  return cudaGetLastError();
}

MaskStats toMaskStats(const MaskStatsDevice& d) {
  MaskStats s;
  s.area = d.area;
  if (d.area > 0) {
    s.bbox[0] = d.minX;
    s.bbox[1] = d.minY;
    s.bbox[2] = d.maxX - d.minX + 1;
    s.bbox[3] = d.maxY - d.minY + 1;
  }
  return s;
}

}  // namespace sam3clip::cuda
