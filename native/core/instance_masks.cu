// CUDA twin of instance_masks.cpp. Each thread makes kPixelsPerThread consecutive output pixels
// of one row: output row y blends probability rows ty.i0 and ty.i1, and each probability is the
// sigmoid of one logit, computed where it is needed (for the two rows at the columns the thread's
// pixels touch, two columns cached, as the CPU's Resampler caches blended rows). Every value goes
// through the same float operations in the same order as on the CPU, so masks are bit-exact.
#include "instance_masks_cuda.h"

#include "bilinear_cuda.cuh"
#include "sigmoid.h"

namespace sam3clip::cuda {
namespace {

using bilinear::Axis;
using bilinear::blend;
using bilinear::linearTap;
using bilinear::Tap;

struct Params {
  const float* logits;
  const int32_t* planeIndex;
  int numPlanes, numMasks, m;
  Axis rows, cols;  // m → originalH, m → originalW
  float threshold;
  uint8_t* out;
};

constexpr int kPixelsPerThread = 8;  // storeBits writes 8 at once

// The probabilities of the two source rows an output row blends, at one source column.
struct ProbColumn {
  int c = -1;
  float top = 0, bottom = 0;
};

__global__ void instanceMasksKernel(Params p) {
  const int ow = p.cols.out, oh = p.rows.out, m = p.m;
  const int x0 = (blockIdx.x * blockDim.x + threadIdx.x) * kPixelsPerThread;
  if (x0 >= ow) return;
  const long rows = static_cast<long>(p.numMasks) * oh;
  for (long r = blockIdx.y; r < rows; r += gridDim.y) {
    const int k = static_cast<int>(r / oh), y = static_cast<int>(r - static_cast<long>(k) * oh);
    uint8_t* dst = p.out + r * ow + x0;
    const int n = min(kPixelsPerThread, ow - x0);
    const int plane = p.planeIndex ? p.planeIndex[k] : k;
    if (plane < 0 || plane >= p.numPlanes) {
      bilinear::storeBits(dst, n, 0u);
      continue;
    }
    const float* logits = p.logits + static_cast<long>(plane) * m * m;
    const Tap ty = linearTap(y, p.rows);
    const float* top = logits + static_cast<long>(ty.i0) * m;
    const float* bottom = logits + static_cast<long>(ty.i1) * m;
    // Columns come in non-decreasing order, so two slots suffice (the lower column is evicted).
    ProbColumn slotA, slotB;
    auto column = [&](int c) -> ProbColumn {
      if (slotA.c == c) return slotA;
      if (slotB.c == c) return slotB;
      ProbColumn v;
      v.c = c;
      v.top = sigmoid(top[c]);
      v.bottom = sigmoid(bottom[c]);
      if (slotA.c < slotB.c) slotA = v;
      else slotB = v;
      return v;
    };
    uint32_t bits = 0;
    for (int i = 0; i < n; i++) {
      const Tap tx = linearTap(x0 + i, p.cols);
      const ProbColumn left = column(tx.i0), right = column(tx.i1);
      bits |= static_cast<uint32_t>(blend(left.top, right.top, left.bottom, right.bottom, tx, ty) > p.threshold) << i;
    }
    bilinear::storeBits(dst, n, bits);
  }
}

}  // namespace

cudaError_t postprocessInstanceMasks(const float* logits, int numPlanes, const int32_t* planeIndex,
                                     const InstanceMaskGeometry& g, uint8_t* out, cudaStream_t stream) {
  const long rows = static_cast<long>(g.numMasks) * g.originalH;
  if (rows <= 0 || g.originalW <= 0) return cudaSuccess;
  const Params p{logits,
                 planeIndex,
                 planeIndex ? numPlanes : g.numMasks,
                 g.numMasks,
                 g.maskSize,
                 bilinear::axis(g.maskSize, g.originalH),
                 bilinear::axis(g.maskSize, g.originalW),
                 g.maskThreshold,
                 out};
  const int threadsPerRow = (g.originalW + kPixelsPerThread - 1) / kPixelsPerThread;
  const dim3 block(128), grid((threadsPerRow + 127) / 128, static_cast<unsigned>(rows < 65535 ? rows : 65535));
  instanceMasksKernel<<<grid, block, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
