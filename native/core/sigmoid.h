// The logistic function 1/(1 + exp(-x)) in float32, identical on the CPU and in CUDA kernels.
//
// exp is SLEEF's expf_u10 (Cody-Waite reduction, degree-6 polynomial with fused multiply-adds),
// the exp that PyTorch's vectorized CPU sigmoid (AVX2, AVX-512, NEON builds) calls: on those
// builds torch.sigmoid of a float32 tensor gives these same bits everywhere except in the few
// elements of each thread's chunk tail, which PyTorch computes with the C library's expf instead
// (they may differ by an ulp). The multiply-adds are explicit fma calls on both sides and every
// other operation is a single IEEE operation, so host and device results are bit-identical.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#ifndef SAM3CLIP_HOST_DEVICE  // as selection.h defines it
#if defined(__CUDACC__)
#define SAM3CLIP_HOST_DEVICE __host__ __device__
#else
#define SAM3CLIP_HOST_DEVICE
#endif
#endif

namespace sam3clip {
namespace sigmoid_detail {

SAM3CLIP_HOST_DEVICE inline float fmaRn(float a, float b, float c) {
#ifdef __CUDA_ARCH__
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
SAM3CLIP_HOST_DEVICE inline float mulRn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
SAM3CLIP_HOST_DEVICE inline float addRn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
SAM3CLIP_HOST_DEVICE inline float divRn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
// Round to nearest, ties to even (the vector conversion SLEEF uses).
SAM3CLIP_HOST_DEVICE inline float rintEven(float x) {
#ifdef __CUDA_ARCH__
  return rintf(x);
#else
  return std::rint(x);
#endif
}
SAM3CLIP_HOST_DEVICE inline float fromBits(uint32_t bits) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}
// 2^q for q in [-126, 127].
SAM3CLIP_HOST_DEVICE inline float pow2i(int q) { return fromBits(static_cast<uint32_t>(q + 0x7f) << 23); }

}  // namespace sigmoid_detail

// SLEEF xexpf (sleefsimdsp.c): within 1 ulp; 0 below -104, +inf above 100, NaN for NaN.
SAM3CLIP_HOST_DEVICE inline float expf_u10(float d) {
  using namespace sigmoid_detail;  // helper names are distinct from <cmath>'s
  if (d != d) return d;
  if (d < -104.0f) return 0.0f;
  if (d > 100.0f) return fromBits(0x7f800000u);  // +inf
  const int q = static_cast<int>(rintEven(mulRn(d, 1.442695040888963407359924681001892137426645954152985934135449406931f)));
  const float qf = static_cast<float>(q);
  float s = fmaRn(qf, -0.693145751953125f, d);
  s = fmaRn(qf, -1.428606765330187045e-06f, s);
  float u = 0.000198527617612853646278381f;
  u = fmaRn(u, s, 0.00139304355252534151077271f);
  u = fmaRn(u, s, 0.00833336077630519866943359f);
  u = fmaRn(u, s, 0.0416664853692054748535156f);
  u = fmaRn(u, s, 0.166666671633720397949219f);
  u = fmaRn(u, s, 0.5f);
  u = addRn(1.0f, fmaRn(mulRn(s, s), u, s));
  // ldexp in two steps, as SLEEF's vldexp2: q is in [-150, 144], each half a normal power of two.
  const int half = q >> 1;
  return mulRn(mulRn(u, pow2i(half)), pow2i(q - half));
}

// 1/(1 + exp(-x)), evaluated as PyTorch's vectorized sigmoid: (0 - x), exp, + 1, reciprocal.
SAM3CLIP_HOST_DEVICE inline float sigmoid(float x) {
  using namespace sigmoid_detail;  // helper names are distinct from <cmath>'s
  return divRn(1.0f, addRn(expf_u10(addRn(0.0f, -x)), 1.0f));  // 0 + (-x) is 0 - x
}

}  // namespace sam3clip
