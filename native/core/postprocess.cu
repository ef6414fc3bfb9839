#include "postprocess_cuda.h"

namespace sam3clip::cuda {
namespace {

struct Tap {
  int i0, i1;
  float w0, w1;
};

// PyTorch's compute_source_index_and_lambda for float32, exactly as linearTaps() in
// postprocess.cpp: the source index is computed in double and stored as float.
__device__ Tap linearTap(int i, int inSize, int outSize) {
  if (inSize == outSize) return {i, i, 1.0f, 0.0f};
  const float scale = __fdiv_rn(static_cast<float>(inSize), static_cast<float>(outSize));
  float src = static_cast<float>(static_cast<double>(scale) * (i + 0.5) - 0.5);
  if (src < 0) src = 0;
  Tap t;
  t.i0 = min(static_cast<int>(src), inSize - 1);
  t.i1 = t.i0 + (t.i0 < inSize - 1 ? 1 : 0);
  t.w1 = fminf(fmaxf(__fsub_rn(src, static_cast<float>(t.i0)), 0.0f), 1.0f);
  t.w0 = __fsub_rn(1.0f, t.w1);
  return t;
}

// (a*wx0 + b*wx1)*wy0 + (c*wx0 + d*wx1)*wy1, rounded step by step as the CPU does.
__device__ float blend(float a, float b, float c, float d, const Tap& tx, const Tap& ty) {
  const float top = __fadd_rn(__fmul_rn(a, tx.w0), __fmul_rn(b, tx.w1));
  const float bottom = __fadd_rn(__fmul_rn(c, tx.w0), __fmul_rn(d, tx.w1));
  return __fadd_rn(__fmul_rn(top, ty.w0), __fmul_rn(bottom, ty.w1));
}

// Value of the S×S upscale at (r, c) (inside the crop), computed on the fly.
__device__ float upscaled(const float* logits, int L, int S, int r, int c) {
  const Tap ty = linearTap(r, L, S), tx = linearTap(c, L, S);
  const float* top = logits + static_cast<long>(ty.i0) * L;
  const float* bottom = logits + static_cast<long>(ty.i1) * L;
  return blend(top[tx.i0], top[tx.i1], bottom[tx.i0], bottom[tx.i1], tx, ty);
}

__global__ void postprocessKernel(const float* lowres, const int32_t* candidateIndex, int numCandidates, MaskGeometry g,
                                  uint8_t* out) {
  const long plane = static_cast<long>(g.originalH) * g.originalW;
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int m = blockIdx.y;
  if (i >= plane) return;
  const int y = static_cast<int>(i / g.originalW), x = static_cast<int>(i % g.originalW);
  const int L = g.lowresSize, S = g.inputSize;
  const long slot = candidateIndex ? static_cast<long>(m) * numCandidates + candidateIndex[m] : m;
  const float* logits = lowres + slot * L * L;
  // Second resize: crop (resizedH × resizedW) → original; its four source pixels come from the first.
  const Tap ty = linearTap(y, g.resizedH, g.originalH), tx = linearTap(x, g.resizedW, g.originalW);
  const float v = blend(upscaled(logits, L, S, ty.i0, tx.i0), upscaled(logits, L, S, ty.i0, tx.i1),
                        upscaled(logits, L, S, ty.i1, tx.i0), upscaled(logits, L, S, ty.i1, tx.i1), tx, ty);
  out[m * plane + i] = v > 0.0f;
}

}  // namespace

cudaError_t postprocessMasks(const float* lowres, const int32_t* candidateIndex, int numCandidates, const MaskGeometry& g,
                             uint8_t* out, cudaStream_t stream) {
  const long plane = static_cast<long>(g.originalH) * g.originalW;
  if (g.numMasks <= 0 || plane == 0) return cudaSuccess;
  const dim3 grid(static_cast<unsigned>((plane + 255) / 256), static_cast<unsigned>(g.numMasks));
  postprocessKernel<<<grid, 256, 0, stream>>>(lowres, candidateIndex, numCandidates, g, out);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
