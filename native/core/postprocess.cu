// CUDA twin of postprocess.cpp, fused with candidate selection (taps and blend: bilinear_cuda.cuh).
// The S×S upscale is never stored: each thread makes kPixelsPerThread consecutive output pixels
// of one row and computes the few crop values they need (two crop rows × the crop columns its
// pixels touch, two at a time, as the CPU's two-row cache does). Every value goes through the same
// float operations in the same order as on the CPU (no fused multiply-adds), so the masks are
// bit-exact with it.
#include "postprocess_cuda.h"

#include "bilinear_cuda.cuh"

namespace sam3clip::cuda {
namespace {

using bilinear::Axis;
using bilinear::axis;
using bilinear::blend;
using bilinear::linearTap;
using bilinear::Tap;

struct Params {
  const float* lowres;
  const int32_t* candidateIndex;
  int numCandidates, numMasks, L;
  Axis upRows, upCols;      // L → S (only the crop's rows/columns are ever asked for)
  Axis outRows, outCols;    // crop (resizedH × resizedW) → original
  uint8_t* out;
};

constexpr int kPixelsPerThread = 8;  // storeBits writes 8 at once

// Two crop rows (the ones an output row blends) at one crop column, cached by column.
struct CropColumn {
  int c = -1;
  float top = 0, bottom = 0;
};

__global__ void postprocessKernel(Params p) {
  const int ow = p.outCols.out, oh = p.outRows.out, L = p.L;
  const int x0 = (blockIdx.x * blockDim.x + threadIdx.x) * kPixelsPerThread;
  if (x0 >= ow) return;
  const long rows = static_cast<long>(p.numMasks) * oh;
  for (long r = blockIdx.y; r < rows; r += gridDim.y) {
    const int m = static_cast<int>(r / oh), y = static_cast<int>(r - static_cast<long>(m) * oh);
    const long slot = p.candidateIndex ? static_cast<long>(m) * p.numCandidates + p.candidateIndex[m] : m;
    const float* logits = p.lowres + slot * L * L;
    // Second resize, vertical: output row y blends crop rows ty.i0 and ty.i1, each of which is
    // the first resize's blend of two logit rows.
    const Tap ty = linearTap(y, p.outRows);
    const Tap rowTop = linearTap(ty.i0, p.upRows), rowBottom = linearTap(ty.i1, p.upRows);
    const float* t0 = logits + static_cast<long>(rowTop.i0) * L;
    const float* t1 = logits + static_cast<long>(rowTop.i1) * L;
    const float* b0 = logits + static_cast<long>(rowBottom.i0) * L;
    const float* b1 = logits + static_cast<long>(rowBottom.i1) * L;
    // The crop values of rows ty.i0 and ty.i1 at column c; columns come in non-decreasing order,
    // so two slots suffice (the lower column is evicted). Named slots keep them in registers.
    CropColumn slotA, slotB;
    auto column = [&](int c) -> CropColumn {
      if (slotA.c == c) return slotA;
      if (slotB.c == c) return slotB;
      const Tap tc = linearTap(c, p.upCols);
      CropColumn v;
      v.c = c;
      v.top = blend(t0[tc.i0], t0[tc.i1], t1[tc.i0], t1[tc.i1], tc, rowTop);
      v.bottom = blend(b0[tc.i0], b0[tc.i1], b1[tc.i0], b1[tc.i1], tc, rowBottom);
      if (slotA.c < slotB.c) slotA = v;
      else slotB = v;
      return v;
    };
    uint8_t* dst = p.out + r * ow + x0;
    const int n = min(kPixelsPerThread, ow - x0);
    uint32_t bits = 0;
    for (int i = 0; i < n; i++) {
      const Tap tx = linearTap(x0 + i, p.outCols);
      const CropColumn left = column(tx.i0), right = column(tx.i1);
      bits |= static_cast<uint32_t>(blend(left.top, right.top, left.bottom, right.bottom, tx, ty) > 0.0f) << i;
    }
    bilinear::storeBits(dst, n, bits);
  }
}

}  // namespace

cudaError_t postprocessMasks(const float* lowres, const int32_t* candidateIndex, int numCandidates, const MaskGeometry& g,
                             uint8_t* out, cudaStream_t stream) {
  const long rows = static_cast<long>(g.numMasks) * g.originalH;
  if (rows <= 0 || g.originalW <= 0) return cudaSuccess;
  const Params p{lowres,
                 candidateIndex,
                 numCandidates,
                 g.numMasks,
                 g.lowresSize,
                 axis(g.lowresSize, g.inputSize),
                 axis(g.lowresSize, g.inputSize),
                 axis(g.resizedH, g.originalH),
                 axis(g.resizedW, g.originalW),
                 out};
  const int threadsPerRow = (g.originalW + kPixelsPerThread - 1) / kPixelsPerThread;
  const dim3 block(128), grid((threadsPerRow + 127) / 128, static_cast<unsigned>(rows < 65535 ? rows : 65535));
  postprocessKernel<<<grid, block, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
