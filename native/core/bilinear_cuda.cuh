// Device side of PyTorch's float32 bilinear arithmetic (align_corners=False), shared by the CUDA
// kernels of postprocess.cu and instance_masks.cu: the taps of linearTaps() (linear_taps.cpp) and
// the blend of Resampler (resampler.h), each rounded step by step with no fused multiply-adds, so
// the kernels are bit-exact with their CPU twins.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace sam3clip::cuda::bilinear {

struct Tap {
  int i0, i1;
  float w0, w1;
};

// One resize axis. `scale` is float(in) / float(out), computed on the host: IEEE division there
// and here give the same float.
struct Axis {
  int in, out;
  float scale;
};

inline Axis axis(int in, int out) { return {in, out, static_cast<float>(in) / static_cast<float>(out)}; }

// PyTorch's compute_source_index_and_lambda for float32, exactly as linearTaps() in
// linear_taps.cpp: the source index is computed in double and stored as float.
__device__ __forceinline__ Tap linearTap(int i, const Axis& a) {
  if (a.in == a.out) return {i, i, 1.0f, 0.0f};
  float src = static_cast<float>(static_cast<double>(a.scale) * (i + 0.5) - 0.5);
  if (src < 0) src = 0;
  Tap t;
  t.i0 = min(static_cast<int>(src), a.in - 1);
  t.i1 = t.i0 + (t.i0 < a.in - 1 ? 1 : 0);
  t.w1 = fminf(fmaxf(__fsub_rn(src, static_cast<float>(t.i0)), 0.0f), 1.0f);
  t.w0 = __fsub_rn(1.0f, t.w1);
  return t;
}

// (a*wx0 + b*wx1)*wy0 + (c*wx0 + d*wx1)*wy1, rounded step by step as the CPU does.
__device__ __forceinline__ float blend(float a, float b, float c, float d, const Tap& tx, const Tap& ty) {
  const float top = __fadd_rn(__fmul_rn(a, tx.w0), __fmul_rn(b, tx.w1));
  const float bottom = __fadd_rn(__fmul_rn(c, tx.w0), __fmul_rn(d, tx.w1));
  return __fadd_rn(__fmul_rn(top, ty.w0), __fmul_rn(bottom, ty.w1));
}

// Writes bit i of `bits` as byte dst[i] (0/1) for i < n; 8 bytes at an 8-byte-aligned dst go out
// as one store.
__device__ __forceinline__ void storeBits(uint8_t* dst, int n, uint32_t bits) {
  if (n == 8 && (reinterpret_cast<uintptr_t>(dst) & 7) == 0) {
    // Bit i → byte i: the four shifted copies of a nibble do not overlap.
    const uint32_t lo = ((bits & 15u) * 0x00204081u) & 0x01010101u, hi = ((bits >> 4) * 0x00204081u) & 0x01010101u;
    *reinterpret_cast<uint2*>(dst) = make_uint2(lo, hi);
  } else {
    for (int i = 0; i < n; i++) dst[i] = static_cast<uint8_t>(bits >> i & 1u);
  }
}

}  // namespace sam3clip::cuda::bilinear
