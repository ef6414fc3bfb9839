#include "cuda_kernels_test.h"

#include <cuda_runtime_api.h>

#include <cstdio>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
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
#include "../core/selection.h"
#include "../core/selection_cuda.h"
#include "check.h"
#include "shared_cases.h"

namespace sam3clip::testing {
namespace {


// A device copy of a host vector, freed at scope end.
template <typename T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t n = 0;
  explicit DeviceArray(size_t count) : n(count) { throwIfCudaFailed(cudaMalloc(reinterpret_cast<void**>(&ptr), std::max<size_t>(1, n) * sizeof(T)), "cudaMalloc"); }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    throwIfCudaFailed(cudaMemcpy(ptr, host.data(), n * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  ~DeviceArray() { cudaFree(ptr); }
  std::vector<T> download() const {
    std::vector<T> host(n);
    throwIfCudaFailed(cudaDeviceSynchronize(), "kernel");
    throwIfCudaFailed(cudaMemcpy(host.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost), "download");
    return host;
  }
};

std::mt19937 rng(20261126);

std::vector<uint8_t> randomMask(int w, int h, double density) {
  std::bernoulli_distribution bit(density);
  std::vector<uint8_t> m(static_cast<size_t>(w) * h);
  for (auto& v : m) v = bit(rng) ? static_cast<uint8_t>(1 + rng() % 255) : 0;  // any nonzero counts as set
  return m;
}

const char* opName(MorphOp op) {
  switch (op) {
    case MorphOp::Dilate: return "dilate";
    case MorphOp::Erode: return "erode";
    case MorphOp::Open: return "open";
    default: return "close";
  }
}

std::vector<uint8_t> gpuMorphology(const std::vector<uint8_t>& src, int w, int h, MorphOp op, int k, bool inPlace) {
  DeviceArray<uint8_t> in(src), out(src.size());
  DeviceArray<uint8_t> scratch(cuda::morphologyScratchBytes(w, h));
  uint8_t* dst = inPlace ? in.ptr : out.ptr;
  throwIfCudaFailed(cuda::morphology(in.ptr, dst, w, h, op, k, scratch.ptr, nullptr), "morphology");
  return inPlace ? in.download() : out.download();
}

void testMorphologyRandom() {
  const int sizes[][2] = {{1, 1}, {1, 40}, {40, 1}, {31, 33}, {32, 32}, {33, 7}, {64, 65}, {257, 129}, {1000, 3}, {517, 300}};
  const int ks[] = {1, 2, 3, 4, 5, 6, 7, 9, 11, 15, 31, 64, 101, 255};
  const MorphOp ops[] = {MorphOp::Dilate, MorphOp::Erode, MorphOp::Open, MorphOp::Close};
  int cases = 0;
  for (const auto& s : sizes)
    for (int k : ks)
      for (MorphOp op : ops)
        for (double density : {0.0, 0.05, 0.5, 0.95, 1.0}) {
          const int w = s[0], h = s[1];
          if (k > 2 * std::max(w, h) + 2 && k != 255) continue;
          const auto src = randomMask(w, h, density);
          std::vector<uint8_t> want(src.size());
          morphology(src.data(), want.data(), w, h, op, k);
          const bool inPlace = (cases % 3) == 0;
          const auto got = gpuMorphology(src, w, h, op, k, inPlace);
          for (size_t i = 0; i < want.size(); i++)
            CHECK(got[i] == want[i], "%s k=%d %dx%d density %.2f%s: pixel %zu is %d, CPU %d", opName(op), k, w, h, density,
                      inPlace ? " (in place)" : "", i, got[i], want[i]);
          cases++;
        }
  std::printf("  %d morphology cases bit-exact with the CPU\n", cases);
}

void testMorphologyShared() {
  Json doc;
  std::string error;
  if (!readJsonFile(sharedPath("morphology/opencv-cases.json"), doc, error)) {
    std::printf("  SKIP (%s)\n", error.c_str());
    return;
  }
  int n = 0;
  for (const Json& c : doc["cases"].array) {
    const int w = c["width"].integer(), h = c["height"].integer(), k = c["k"].integer();
    MorphOp op;
    CHECK(parseMorphOp(c["op"].string, op), "unknown op %s", c["op"].string.c_str());
    const auto src = base64Decode(c["input"].string), want = base64Decode(c["expected"].string);
    const auto got = gpuMorphology(src, w, h, op, k, false);
    CHECK(got == want, "OpenCV case %s differs", c["name"].string.c_str());
    n++;
  }
  std::printf("  %d OpenCV cases bit-exact\n", n);
}

void testPostprocessRandom() {
  std::normal_distribution<float> logit(0.0f, 4.0f);
  long total = 0, differing = 0;
  const int L = 32, K = 3;
  struct Geo { int S, rh, rw, oh, ow; };
  const Geo geos[] = {{128, 128, 128, 77, 201}, {128, 96, 128, 300, 400}, {128, 128, 60, 131, 61}, {64, 64, 64, 64, 64}, {128, 1, 128, 3, 500}};
  for (const Geo& geo : geos) {
    const int B = 4;
    std::vector<float> lowres(static_cast<size_t>(B) * K * L * L);
    for (auto& v : lowres) v = logit(rng);
    std::vector<int32_t> index(B);
    for (auto& v : index) v = static_cast<int32_t>(rng() % K);
    MaskGeometry g{B, L, geo.S, geo.rh, geo.rw, geo.oh, geo.ow};
    // CPU: the selected candidates, one at a time.
    const size_t plane = static_cast<size_t>(geo.oh) * geo.ow;
    std::vector<uint8_t> want(B * plane);
    for (int b = 0; b < B; b++) {
      MaskGeometry one = g;
      one.numMasks = 1;
      postprocessMasks(lowres.data() + (static_cast<size_t>(b) * K + index[b]) * L * L, one, want.data() + b * plane);
    }
    DeviceArray<float> dLowres(lowres);
    DeviceArray<int32_t> dIndex(index);
    DeviceArray<uint8_t> dOut(B * plane);
    throwIfCudaFailed(cuda::postprocessMasks(dLowres.ptr, dIndex.ptr, K, g, dOut.ptr, nullptr), "postprocess");
    const auto got = dOut.download();
    for (size_t i = 0; i < got.size(); i++) differing += got[i] != want[i];
    total += static_cast<long>(got.size());
  }
  std::printf("  bilinear post-processing: %ld of %ld pixels differ from the CPU\n", differing, total);
  CHECK(differing * 10000 <= total, "more than 0.01%% of pixels differ (%ld of %ld)", differing, total);
}

void testPostprocessShared() {
  Json doc;
  std::string error;
  if (!readJsonFile(sharedPath("postprocess/pytorch-cases.json"), doc, error)) {
    std::printf("  SKIP (%s)\n", error.c_str());
    return;
  }
  long total = 0, differing = 0;
  for (const Json& c : doc["cases"].array) {
    const auto bytes = base64Decode(c["lowres_logits"].string);
    std::vector<float> lowres(bytes.size() / 4);
    std::memcpy(lowres.data(), bytes.data(), lowres.size() * 4);
    const auto want = base64Decode(c["expected"].string);
    MaskGeometry g{c["num_masks"].integer(), c["lowres_size"].integer(), c["input_size"].integer(),
                   c["resized_hw"].array[0].integer(), c["resized_hw"].array[1].integer(),
                   c["original_hw"].array[0].integer(), c["original_hw"].array[1].integer()};
    DeviceArray<float> dLowres(lowres);
    DeviceArray<uint8_t> dOut(want.size());
    throwIfCudaFailed(cuda::postprocessMasks(dLowres.ptr, nullptr, 1, g, dOut.ptr, nullptr), "postprocess");
    const auto got = dOut.download();
    for (size_t i = 0; i < want.size(); i++) differing += got[i] != want[i];
    total += static_cast<long>(want.size());
  }
  std::printf("  PyTorch cases: %ld of %ld pixels differ\n", differing, total);
  CHECK(differing * 10000 <= total, "more than 0.01%% of pixels differ from PyTorch");
}

// The CPU instance masks of the planes `index` names (all-zero where an index is out of range).
std::vector<uint8_t> cpuInstanceMasks(const std::vector<float>& logits, int numPlanes, const std::vector<int32_t>& index,
                                      const InstanceMaskGeometry& g) {
  const size_t planeIn = static_cast<size_t>(g.maskSize) * g.maskSize, planeOut = static_cast<size_t>(g.originalH) * g.originalW;
  std::vector<uint8_t> want(g.numMasks * planeOut, 0);
  InstanceMaskGeometry one = g;
  one.numMasks = 1;
  for (int k = 0; k < g.numMasks; k++)
    if (index[k] >= 0 && index[k] < numPlanes)
      postprocessInstanceMasks(logits.data() + index[k] * planeIn, one, want.data() + k * planeOut);
  return want;
}

void testInstanceMasks() {
  std::normal_distribution<float> logit(0.0f, 4.0f);
  struct Geo { int numMasks, m, oh, ow; float threshold; };
  const Geo geos[] = {{4, 288, 77, 201, 0.5f}, {3, 64, 300, 400, 0.5f}, {2, 16, 131, 61, 0.3f}, {2, 64, 64, 64, 0.5f},
                      {3, 8, 5, 7, 0.5f},     {1, 288, 3, 500, 0.9f},  {2, 32, 1, 1, 0.5f},    {2, 72, 1008, 1008, 0.5f},
                      {3, 8, 8, 8, 0.0f},     {2, 16, 40, 40, 1.0f}};
  long total = 0;
  int cases = 0;
  for (const Geo& geo : geos) {
    const int P = geo.numMasks + 3;  // query planes; the index list picks some of them
    const size_t planeIn = static_cast<size_t>(geo.m) * geo.m;
    std::vector<float> logits(P * planeIn);
    for (size_t i = 0; i < logits.size(); i++) {
      // Mostly smooth values near 0 (probabilities near the threshold), some noise and specials.
      const size_t r = rng() % 1000;
      logits[i] = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : r < 100 ? 0.0f : r < 400 ? logit(rng) * 0.01f : logit(rng);
    }
    InstanceMaskGeometry g{geo.numMasks, geo.m, geo.oh, geo.ow, geo.threshold};
    std::vector<int32_t> index(geo.numMasks);
    for (auto& v : index) v = static_cast<int32_t>(rng() % P);
    if (geo.numMasks > 1) index[geo.numMasks - 1] = (cases % 2) ? -1 : P;  // padding: an all-zero mask
    std::vector<int32_t> identity(geo.numMasks);
    for (int k = 0; k < geo.numMasks; k++) identity[k] = k;
    DeviceArray<float> dLogits(logits);
    DeviceArray<int32_t> dIndex(index);
    for (const bool selected : {true, false}) {
      const auto want = cpuInstanceMasks(logits, P, selected ? index : identity, g);
      DeviceArray<uint8_t> dOut(want.size());
      throwIfCudaFailed(cuda::postprocessInstanceMasks(dLogits.ptr, P, selected ? dIndex.ptr : nullptr, g, dOut.ptr, nullptr),
                        "instance masks");
      const auto got = dOut.download();
      size_t differing = 0;
      for (size_t i = 0; i < got.size(); i++) differing += got[i] != want[i];
      CHECK(differing == 0, "m=%d → %dx%d threshold %g%s: %zu of %zu pixels differ from the CPU", geo.m, geo.oh, geo.ow,
            geo.threshold, selected ? " (index list)" : "", differing, got.size());
      total += static_cast<long>(got.size());
      cases++;
    }
  }
  // 2 masks × 40000 rows (past the 65535-block grid limit), output one byte off alignment.
  const InstanceMaskGeometry tall{2, 16, 40000, 3, 0.5f};
  std::vector<float> logits(2 * 16 * 16);
  for (auto& v : logits) v = logit(rng);
  const auto want = cpuInstanceMasks(logits, 2, {0, 1}, tall);
  DeviceArray<float> dLogits(logits);
  DeviceArray<uint8_t> dOut(want.size() + 1);
  throwIfCudaFailed(cuda::postprocessInstanceMasks(dLogits.ptr, 2, nullptr, tall, dOut.ptr + 1, nullptr), "instance masks");
  const auto all = dOut.download();
  size_t differing = 0;
  for (size_t i = 0; i < want.size(); i++) differing += all[i + 1] != want[i];
  CHECK(differing == 0, "2 x 40000 x 3 unaligned: %zu pixels differ from the CPU", differing);
  std::printf("  %d cases, %ld pixels, bit-exact with the CPU\n", cases + 1, total + static_cast<long>(want.size()));
}

void testNormalize() {
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdv[3] = {0.229f, 0.224f, 0.225f};
  for (const auto& s : std::vector<std::array<int, 3>>{{64, 64, 64}, {64, 40, 64}, {13, 64, 64}, {100, 77, 128}, {1, 1, 8}}) {
    const int w = s[0], h = s[1], size = s[2];
    std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);
    for (auto& v : rgb) v = static_cast<uint8_t>(rng());
    std::vector<float> want(3 * static_cast<size_t>(size) * size);
    normalizeToNchw(rgb.data(), w, h, size, mean, stdv, want.data());
    DeviceArray<uint8_t> dRgb(rgb);
    DeviceArray<float> dOut(want.size());
    throwIfCudaFailed(cuda::normalizeToNchw(dRgb.ptr, w, h, size, mean, stdv, dOut.ptr, nullptr), "normalize");
    const auto got = dOut.download();
    CHECK(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)) == 0, "normalize %dx%d in %d differs", w, h, size);
  }
}

void testSelection() {
  std::uniform_real_distribution<float> score(0.0f, 1.0f);
  const int P = 257, K = 3;
  std::vector<float> iou(P * K);
  for (auto& v : iou) v = std::round(score(rng) * 10.0f) / 10.0f;  // ties and values equal to the threshold
  for (float threshold : {0.1f, 0.5f, 0.9f}) {
    std::vector<int32_t> wantIndex(P);
    std::vector<uint8_t> wantPassed(P);
    selectCandidates(iou.data(), P, K, threshold, wantIndex.data(), wantPassed.data());
    DeviceArray<float> dIou(iou);
    DeviceArray<int32_t> dIndex(P);
    DeviceArray<uint8_t> dPassed(P);
    throwIfCudaFailed(cuda::selectCandidates(dIou.ptr, P, K, threshold, dIndex.ptr, dPassed.ptr, nullptr), "select");
    CHECK(dIndex.download() == wantIndex && dPassed.download() == wantPassed, "selection differs at threshold %.1f", threshold);
  }
}

void testMaskStats() {
  for (const auto& s : std::vector<std::array<int, 2>>{{1, 1}, {640, 480}, {3840, 2160}, {7, 1000}})
    for (double density : {0.0, 0.0001, 0.3, 1.0}) {
      const auto mask = randomMask(s[0], s[1], density);
      const MaskStats want = maskStats(mask.data(), s[0], s[1]);
      DeviceArray<uint8_t> dMask(mask);
      DeviceArray<cuda::MaskStatsDevice> dStats(1);
      throwIfCudaFailed(cuda::maskStats(dMask.ptr, s[0], s[1], dStats.ptr, nullptr), "maskStats");
      const MaskStats got = cuda::toMaskStats(dStats.download()[0]);
      CHECK(got.area == want.area && std::memcmp(got.bbox, want.bbox, sizeof want.bbox) == 0,
                "%dx%d density %g: area %llu vs %llu", s[0], s[1], density, static_cast<unsigned long long>(got.area),
                static_cast<unsigned long long>(want.area));
    }
}

// Shapes and pointers the random cases above do not reach: the 3840×2160 production mask, byte
// offsets that move src/dst off the 16-byte boundaries of the vector paths, and heights (or
// masks × rows) past the 65535-block grid limit, which the kernels cover with row loops.
void testShapesAndAlignment() {
  struct Case {
    int w, h, k;
    MorphOp op;
    size_t offset;
    double density;
  };
  const Case cases[] = {{3840, 2160, 5, MorphOp::Close, 0, 0.5},  {3840, 2160, 15, MorphOp::Open, 1, 0.97},
                        {3840, 2160, 255, MorphOp::Close, 0, 0.02}, {640, 480, 3, MorphOp::Close, 1, 0.4},
                        {3, 70001, 3, MorphOp::Close, 0, 0.5},     {40, 66000, 9, MorphOp::Dilate, 3, 0.05},
                        {1, 100000, 31, MorphOp::Erode, 0, 0.9}};
  for (const Case& c : cases) {
    const auto src = randomMask(c.w, c.h, c.density);
    std::vector<uint8_t> want(src.size());
    morphology(src.data(), want.data(), c.w, c.h, c.op, c.k);
    DeviceArray<uint8_t> in(src.size() + 16), out(src.size() + 16);
    DeviceArray<uint8_t> scratch(cuda::morphologyScratchBytes(c.w, c.h));
    throwIfCudaFailed(cudaMemcpy(in.ptr + c.offset, src.data(), src.size(), cudaMemcpyHostToDevice), "upload");
    throwIfCudaFailed(cuda::morphology(in.ptr + c.offset, out.ptr + c.offset, c.w, c.h, c.op, c.k, scratch.ptr, nullptr),
                      "morphology");
    const auto all = out.download();
    const std::vector<uint8_t> got(all.begin() + c.offset, all.begin() + c.offset + src.size());
    size_t bad = 0;
    for (size_t i = 0; i < got.size(); i++) bad += got[i] != want[i];
    CHECK(bad == 0, "%s k=%d on %dx%d at byte offset %zu: %zu pixels differ", opName(c.op), c.k, c.w, c.h, c.offset, bad);

    DeviceArray<cuda::MaskStatsDevice> stats(1);
    throwIfCudaFailed(cuda::maskStats(in.ptr + c.offset, c.w, c.h, stats.ptr, nullptr), "maskStats");
    const MaskStats gotStats = cuda::toMaskStats(stats.download()[0]), wantStats = maskStats(src.data(), c.w, c.h);
    CHECK(gotStats.area == wantStats.area && std::memcmp(gotStats.bbox, wantStats.bbox, sizeof wantStats.bbox) == 0,
              "mask statistics of %dx%d differ", c.w, c.h);
  }

  // 2 masks × 40000 rows: more rows than one grid dimension holds; output one byte off alignment.
  const MaskGeometry g{2, 16, 64, 64, 64, 40000, 3};
  std::normal_distribution<float> logit(0.0f, 4.0f);
  std::vector<float> lowres(2 * 16 * 16);
  for (auto& v : lowres) v = logit(rng);
  const size_t pixels = 2 * static_cast<size_t>(g.originalH) * g.originalW;
  std::vector<uint8_t> want(pixels);
  postprocessMasks(lowres.data(), g, want.data());
  DeviceArray<float> dLowres(lowres);
  DeviceArray<uint8_t> dOut(pixels + 1);
  throwIfCudaFailed(cuda::postprocessMasks(dLowres.ptr, nullptr, 1, g, dOut.ptr + 1, nullptr), "postprocess");
  const auto all = dOut.download();
  size_t differing = 0;
  for (size_t i = 0; i < pixels; i++) differing += all[i + 1] != want[i];
  std::printf("  post-processing 2 x 40000 x 3: %zu of %zu pixels differ from the CPU\n", differing, pixels);
  CHECK(differing * 10000 <= pixels, "more than 0.01%% of pixels differ");
}

void testOutOfMemoryIsCoded() {
  void* p = nullptr;
  try {
    throwIfCudaFailed(cudaMalloc(&p, size_t{1} << 50), "a 1 PiB allocation");
    cudaFree(p);
    CHECK(false, "a 1 PiB allocation succeeded");
  } catch (const CudaFailure& e) {
    CHECK(e.code == "E_GPU_OOM", "code %s: %s", e.code.c_str(), e.what());
  }
  // The device is still usable afterwards.
  DeviceArray<uint8_t> ok(16);
  CHECK(cudaDeviceSynchronize() == cudaSuccess, "device unusable after an OOM");
}

}  // namespace

int runCudaKernelTests(bool requireGpu) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  const std::pair<const char*, std::function<void()>> tests[] = {
      {"CUDA morphology = CPU (random masks, k 1..255, all ops, in place)", testMorphologyRandom},
      {"CUDA morphology = OpenCV (shared cases)", testMorphologyShared},
      {"CUDA post-processing = CPU (random logits, candidate selection)", testPostprocessRandom},
      {"CUDA post-processing = PyTorch (shared cases)", testPostprocessShared},
      {"CUDA instance masks = CPU (bit-exact; index list, padding, NaN/inf logits)", testInstanceMasks},
      {"CUDA normalize = CPU (bit-exact)", testNormalize},
      {"CUDA candidate selection = CPU", testSelection},
      {"CUDA mask statistics = CPU", testMaskStats},
      {"CUDA kernels on 4K, tall and unaligned masks = CPU", testShapesAndAlignment},
      {"CUDA out of memory is E_GPU_OOM and recoverable", testOutOfMemoryIsCoded},
  };
  if (status != cudaSuccess || count == 0) {
    const std::string reason = status != cudaSuccess ? cudaGetErrorString(status) : "no device";
    for (const auto& t : tests) std::printf("%s %s (no CUDA device: %s)\n", requireGpu ? "FAIL" : "SKIP", t.first, reason.c_str());
    cudaGetLastError();
    return requireGpu ? static_cast<int>(std::size(tests)) : 0;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("CUDA device 0: %s (compute %d.%d)\n", prop.name, prop.major, prop.minor);
  int failed = 0;
  for (const auto& [name, fn] : tests) {
    const int before = failures;
    try {
      fn();
    } catch (const std::exception& e) {
      std::printf("  FAIL exception: %s\n", e.what());
      failures++;
    }
    const bool ok = failures == before;
    failed += !ok;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", name);
  }
  return failed;
}

}  // namespace sam3clip::testing
