// sam3clip_kernel_bench (npm run bench:kernels): times each CUDA kernel with CUDA events on a
// 3840×2160 mask (the post-processing from 288² logits through a 1008² input), next to its CPU
// twin on one thread. Prints median and min per kernel; without a GPU it says so and exits 0.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "../core/cuda_check.h"
#include "../core/instance_masks.h"
#include "../core/instance_masks_cuda.h"
#include "../core/mask_stats.h"
#include "../core/mask_stats_cuda.h"
#include "../core/morphology.h"
#include "../core/morphology_cuda.h"
#include "../core/postprocess.h"
#include "../core/postprocess_cuda.h"
#include "../core/preprocess.h"
#include "../core/preprocess_cuda.h"
#include "../core/selection_cuda.h"

using namespace sam3clip;

namespace {

constexpr int W = 3840, H = 2160, S = 1008, L = 288, K = 3, RUNS = 50;

struct Timing {
  double median, min;
};

Timing summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

// GPU time of `launch` on `stream` measured with events, after warm-up.
Timing gpuTime(cudaStream_t stream, const std::function<void()>& launch) {
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  for (int i = 0; i < 5; i++) launch();
  std::vector<double> ms;
  for (int i = 0; i < RUNS; i++) {
    cudaEventRecord(a, stream);
    launch();
    cudaEventRecord(b, stream);
    cudaEventSynchronize(b);
    float t = 0;
    cudaEventElapsedTime(&t, a, b);
    ms.push_back(t);
  }
  throwIfCudaFailed(cudaGetLastError(), "benchmark");
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return summarize(ms);
}

Timing cpuTime(const std::function<void()>& run, int runs = 5) {
  std::vector<double> ms;
  for (int i = 0; i < runs; i++) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return summarize(ms);
}

void row(const char* name, Timing gpu, Timing cpu) {
  std::printf("%-44s %10.4f %10.4f %12.3f\n", name, gpu.median, gpu.min, cpu.median);
}

}  // namespace

int main() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("bench:kernels needs a CUDA device (%s); nothing to measure here.\n",
                cudaGetErrorString(cudaGetLastError()));
    return 0;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s (compute %d.%d), mask %dx%d, %d runs per kernel\n\n", prop.name, prop.major, prop.minor, W, H, RUNS);
  std::printf("%-44s %10s %10s %12s\n", "kernel", "gpu p50 ms", "gpu min ms", "cpu 1T ms");

  std::mt19937 rng(7);
  const size_t pixels = static_cast<size_t>(W) * H;
  // A blobby mask: thresholded smooth noise, so morphology has real edges to work on.
  std::vector<uint8_t> mask(pixels);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) mask[static_cast<size_t>(y) * W + x] = ((x / 37 + y / 23) % 3 == 0) ^ ((rng() & 63) == 0);
  std::vector<float> lowres(static_cast<size_t>(K) * L * L);
  std::normal_distribution<float> logit(0, 4);
  for (auto& v : lowres) v = logit(rng);
  std::vector<uint8_t> rgb(static_cast<size_t>(S) * S * 3);
  for (auto& v : rgb) v = static_cast<uint8_t>(rng());

  cudaStream_t stream;
  cudaStreamCreate(&stream);
  uint8_t *dMask, *dOut, *dScratch, *dRgb, *dPassed;
  float *dLowres, *dPixels, *dIou;
  int32_t* dIndex;
  cuda::MaskStatsDevice* dStats;
  cudaMalloc(reinterpret_cast<void**>(&dMask), pixels);
  cudaMalloc(reinterpret_cast<void**>(&dOut), pixels);
  cudaMalloc(reinterpret_cast<void**>(&dScratch), cuda::morphologyScratchBytes(W, H));
  cudaMalloc(reinterpret_cast<void**>(&dRgb), rgb.size());
  cudaMalloc(reinterpret_cast<void**>(&dLowres), lowres.size() * sizeof(float));
  cudaMalloc(reinterpret_cast<void**>(&dPixels), 3ul * S * S * sizeof(float));
  cudaMalloc(reinterpret_cast<void**>(&dIou), 16 * K * sizeof(float));
  cudaMalloc(reinterpret_cast<void**>(&dIndex), 16 * sizeof(int32_t));
  cudaMalloc(reinterpret_cast<void**>(&dPassed), 16);
  cudaMalloc(reinterpret_cast<void**>(&dStats), sizeof(cuda::MaskStatsDevice));
  cudaMemcpy(dMask, mask.data(), pixels, cudaMemcpyHostToDevice);
  cudaMemcpy(dRgb, rgb.data(), rgb.size(), cudaMemcpyHostToDevice);
  cudaMemcpy(dLowres, lowres.data(), lowres.size() * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemset(dIou, 0, 16 * K * sizeof(float));
  cudaMemset(dIndex, 0, 16 * sizeof(int32_t));
  throwIfCudaFailed(cudaDeviceSynchronize(), "setup");

  std::vector<uint8_t> cpuOut(pixels);
  for (int k : {3, 5, 9, 15}) {
    char name[64];
    std::snprintf(name, sizeof name, "morphology close k=%d", k);
    row(name, gpuTime(stream, [&] { cuda::morphology(dMask, dOut, W, H, MorphOp::Close, k, dScratch, stream); }),
        cpuTime([&] { morphology(mask.data(), cpuOut.data(), W, H, MorphOp::Close, k); }));
  }
  const MaskGeometry g{1, L, S, S, S, H, W};  // stretch: the whole S×S input is the image
  row("postprocess 288->1008->2160x3840 (select of 3)",
      gpuTime(stream, [&] { cuda::postprocessMasks(dLowres, dIndex, K, g, dOut, stream); }),
      cpuTime([&] { postprocessMasks(lowres.data(), g, cpuOut.data()); }));
  const InstanceMaskGeometry ig{1, L, H, W, 0.5f};  // SAM3: sigmoid, 288² → original size, > 0.5
  row("instance masks 288->2160x3840 (plane 0 of 3)",
      gpuTime(stream, [&] { cuda::postprocessInstanceMasks(dLowres, K, dIndex, ig, dOut, stream); }),
      cpuTime([&] { postprocessInstanceMasks(lowres.data(), ig, cpuOut.data()); }));
  const float mean[3] = {0.5f, 0.5f, 0.5f}, stdv[3] = {0.5f, 0.5f, 0.5f};
  std::vector<float> cpuPixels(3ul * S * S);
  row("normalize 1008x1008 RGB -> NCHW", gpuTime(stream, [&] { cuda::normalizeToNchw(dRgb, S, S, S, mean, stdv, dPixels, stream); }),
      cpuTime([&] { normalizeToNchw(rgb.data(), S, S, S, mean, stdv, cpuPixels.data()); }));
  row("mask statistics 3840x2160", gpuTime(stream, [&] { cuda::maskStats(dMask, W, H, dStats, stream); }),
      cpuTime([&] { maskStats(mask.data(), W, H); }));
  row("candidate selection, 16 prompts", gpuTime(stream, [&] { cuda::selectCandidates(dIou, 16, K, 0.5f, dIndex, dPassed, stream); }),
      Timing{0, 0});
  std::printf("\nmemory-bandwidth floor for one read + one write of the mask: %.4f ms at 3.35 TB/s\n", 2.0 * pixels / 3.35e9);
  return 0;
}
