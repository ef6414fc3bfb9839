// Self-contained tests of native/core: each check prints what failed; the exit code is the
// number of failed tests (capped), so CI sees any failure.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/instance_masks.h"
#include "../core/mask_stats.h"
#include "../core/morphology.h"
#include "../core/morphology_reference.h"
#include "../core/postprocess.h"
#include "../core/preprocess.h"
#include "../core/selection.h"
#include "../core/sigmoid.h"
#include "../core/upscale.h"
#include "check.h"
#ifdef SAM3CLIP_HAS_CUDA
#include "cuda_kernels_test.h"
#endif

namespace {

using sam3clip::testing::failures;

using namespace sam3clip;

const char* opName(MorphOp op) {
  switch (op) {
    case MorphOp::Dilate: return "dilate";
    case MorphOp::Erode: return "erode";
    case MorphOp::Open: return "open";
    case MorphOp::Close: return "close";
  }
  return "?";
}

// Masks of several textures: sparse noise, dense noise, blobs; set bytes are 1 or, sometimes, 255.
std::vector<uint8_t> randomMask(std::mt19937& rng, int w, int h, int kind) {
  std::vector<uint8_t> m(static_cast<size_t>(w) * h, 0);
  std::uniform_real_distribution<double> u(0, 1);
  const uint8_t on = (kind == 3) ? 255 : 1;
  if (kind == 2) {
    for (int b = 0; b < 1 + (w * h) / 200; b++) {
      const double cx = u(rng) * w, cy = u(rng) * h, r = 0.5 + u(rng) * 6;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m[static_cast<size_t>(y) * w + x] = on;
    }
    return m;
  }
  const double p = kind == 0 ? 0.1 : 0.6;
  for (auto& v : m) v = u(rng) < p ? on : 0;
  return m;
}

void testMorphologyMatchesReference() {
  std::mt19937 rng(1234);
  std::vector<std::pair<int, int>> sizes = {{1, 1}, {1, 7}, {7, 1}, {2, 3}, {5, 5}, {8, 8}, {63, 5}, {64, 4},
                                            {65, 9}, {37, 53}, {128, 3}, {130, 17}, {200, 31}};
  for (int i = 0; i < 12; i++) sizes.push_back({1 + static_cast<int>(rng() % 150), 1 + static_cast<int>(rng() % 40)});
  const MorphOp ops[] = {MorphOp::Dilate, MorphOp::Erode, MorphOp::Open, MorphOp::Close};
  int cases = 0;
  for (auto [w, h] : sizes) {
    for (int kind = 0; kind < 4; kind++) {
      const auto mask = randomMask(rng, w, h, kind);
      std::vector<int> ks = {1, 2, 3, 4, 5, 6, 7, 8, 9};
      if (w <= 20) ks.push_back(w + 3);  // a window wider than the mask
      if (h <= 20) ks.push_back(h + 2);
      if (w > 64 && kind == 2) ks.push_back(67);  // shifts that cross a whole packed word
      for (int k : ks) {
        for (MorphOp op : ops) {
          std::vector<uint8_t> fast(mask.size()), ref(mask.size());
          morphology(mask.data(), fast.data(), w, h, op, k);
          morphologyReference(mask.data(), ref.data(), w, h, op, k);
          size_t bad = 0;
          for (size_t i = 0; i < fast.size(); i++) bad += fast[i] != ref[i];
          CHECK(bad == 0, "%s k=%d on %dx%d (texture %d): %zu pixels differ", opName(op), k, w, h, kind, bad);
          cases++;
        }
      }
    }
  }
  // In place (src == dst) must work too.
  auto mask = randomMask(rng, 70, 20, 1);
  std::vector<uint8_t> ref(mask.size());
  morphologyReference(mask.data(), ref.data(), 70, 20, MorphOp::Close, 5);
  morphology(mask.data(), mask.data(), 70, 20, MorphOp::Close, 5);
  CHECK(mask == ref, "in-place close differs");
  std::printf("  %d morphology cases\n", cases);
}

void testParseMorphOp() {
  MorphOp op;
  CHECK(parseMorphOp("close", op) && op == MorphOp::Close, "close");
  CHECK(parseMorphOp("open", op) && op == MorphOp::Open, "open");
  CHECK(!parseMorphOp("Close", op) && !parseMorphOp("", op) && !parseMorphOp("gradient", op), "unknown names");
}

// F.interpolate(bilinear, align_corners=False) in double, from the definition.
std::vector<double> bilinearDouble(const std::vector<double>& src, int sh, int sw, int dh, int dw) {
  std::vector<double> out(static_cast<size_t>(dh) * dw);
  auto axis = [](int d, int in, int outSize, int& i0, int& i1, double& t) {
    double s = (d + 0.5) * in / outSize - 0.5;
    if (s < 0) s = 0;
    i0 = std::min(static_cast<int>(std::floor(s)), in - 1);
    i1 = std::min(i0 + 1, in - 1);
    t = s - i0;
  };
  for (int y = 0; y < dh; y++) {
    int y0, y1;
    double ty;
    axis(y, sh, dh, y0, y1, ty);
    for (int x = 0; x < dw; x++) {
      int x0, x1;
      double tx;
      axis(x, sw, dw, x0, x1, tx);
      const double top = src[y0 * sw + x0] * (1 - tx) + src[y0 * sw + x1] * tx;
      const double bottom = src[y1 * sw + x0] * (1 - tx) + src[y1 * sw + x1] * tx;
      out[static_cast<size_t>(y) * dw + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

void testPostprocessMatchesReference() {
  std::mt19937 rng(99);
  std::normal_distribution<float> logit(0.0f, 4.0f);
  const MaskGeometry cases[] = {
      {2, 16, 64, 64, 64, 37, 53},  {1, 16, 64, 45, 64, 37, 53},   {2, 16, 64, 64, 14, 90, 20},
      {1, 64, 256, 256, 256, 1, 1}, {1, 72, 288, 288, 288, 300, 451}, {1, 256, 1008, 756, 1008, 480, 640},
      {1, 32, 128, 128, 96, 128, 96}, {1, 8, 8, 8, 8, 8, 8},         {1, 16, 64, 3, 64, 2, 100},
  };
  for (const MaskGeometry& g : cases) {
    const int L = g.lowresSize;
    std::vector<float> logits(static_cast<size_t>(g.numMasks) * L * L);
    // Smooth-ish fields (low-res logits are smooth in practice) plus noise.
    const float fx = 0.05f + (rng() % 100) * 0.003f, fy = 0.04f + (rng() % 100) * 0.002f;
    for (int m = 0; m < g.numMasks; m++)
      for (int y = 0; y < L; y++)
        for (int x = 0; x < L; x++)
          logits[(static_cast<size_t>(m) * L + y) * L + x] = 6.0f * std::sin(fx * x * (m + 1)) * std::cos(fy * y) + 0.5f * logit(rng);
    const size_t plane = static_cast<size_t>(g.originalH) * g.originalW;
    std::vector<uint8_t> got(g.numMasks * plane);
    postprocessMasks(logits.data(), g, got.data());
    size_t total = 0, agree = 0, clearWrong = 0;
    for (int m = 0; m < g.numMasks; m++) {
      std::vector<double> src(logits.begin() + m * L * L, logits.begin() + (m + 1) * L * L);
      const auto full = bilinearDouble(src, L, L, g.inputSize, g.inputSize);
      std::vector<double> crop(static_cast<size_t>(g.resizedH) * g.resizedW);
      for (int y = 0; y < g.resizedH; y++)
        for (int x = 0; x < g.resizedW; x++) crop[y * g.resizedW + x] = full[static_cast<size_t>(y) * g.inputSize + x];
      const auto up = bilinearDouble(crop, g.resizedH, g.resizedW, g.originalH, g.originalW);
      for (size_t i = 0; i < plane; i++) {
        const uint8_t want = up[i] > 0;
        total++;
        agree += got[m * plane + i] == want;
        if (std::fabs(up[i]) > 1e-3 && got[m * plane + i] != want) clearWrong++;
      }
    }
    CHECK(clearWrong == 0, "L=%d S=%d %dx%d→%dx%d: %zu clear pixels wrong", L, g.inputSize, g.resizedH, g.resizedW,
          g.originalH, g.originalW, clearWrong);
    CHECK(agree * 10000 >= total * 9999, "agreement %zu/%zu", agree, total);
  }
}

void testInstanceMasksMatchReference() {
  // {numMasks, m, H, W, threshold}: shrinking, enlarging, non-square, same size, 1×1.
  const InstanceMaskGeometry cases[] = {
      {3, 8, 5, 7, 0.5f},      {2, 16, 100, 37, 0.3f}, {1, 64, 64, 64, 0.5f},   {2, 64, 300, 200, 0.5f},
      {1, 16, 1, 1, 0.5f},     {1, 288, 480, 640, 0.5f}, {2, 32, 33, 200, 0.8f}, {1, 8, 8, 8, 0.1f},
      {1, 72, 1008, 1008, 0.5f}, {2, 5, 3, 1000, 0.05f},
  };
  std::mt19937 rng(4242);
  std::normal_distribution<float> noise(0.0f, 3.0f);
  size_t total = 0, nearThreshold = 0;
  for (const InstanceMaskGeometry& g : cases) {
    const int m = g.maskSize;
    const size_t planeIn = static_cast<size_t>(m) * m, planeOut = static_cast<size_t>(g.originalH) * g.originalW;
    std::vector<float> logits(g.numMasks * planeIn);
    const float fx = 0.1f + (rng() % 100) * 0.01f, fy = 0.08f + (rng() % 100) * 0.008f;
    for (int k = 0; k < g.numMasks; k++)
      for (int y = 0; y < m; y++)
        for (int x = 0; x < m; x++)
          logits[k * planeIn + static_cast<size_t>(y) * m + x] =
              8.0f * std::sin(fx * x * (k + 1) * 8 / m) * std::cos(fy * y * 8 / m) + noise(rng);
    std::vector<uint8_t> got(g.numMasks * planeOut, 7);
    postprocessInstanceMasks(logits.data(), g, got.data());
    const double threshold = g.maskThreshold;
    size_t wrong = 0;
    for (int k = 0; k < g.numMasks; k++) {
      std::vector<double> probs(planeIn);
      for (size_t i = 0; i < planeIn; i++) probs[i] = 1.0 / (1.0 + std::exp(-static_cast<double>(logits[k * planeIn + i])));
      const auto up = bilinearDouble(probs, m, m, g.originalH, g.originalW);
      for (size_t i = 0; i < planeOut; i++) {
        const uint8_t v = got[k * planeOut + i];
        CHECK(v <= 1, "byte %d at mask %d pixel %zu", v, k, i);
        total++;
        if (std::fabs(up[i] - threshold) <= 1e-5) {
          nearThreshold++;
          continue;
        }
        wrong += v != (up[i] > threshold);
      }
    }
    CHECK(wrong == 0, "m=%d → %dx%d, threshold %g: %zu pixels away from the threshold differ", m, g.originalH,
          g.originalW, threshold, wrong);
  }
  std::printf("  %zu pixels, %zu within 1e-5 of the threshold not compared\n", total, nearThreshold);

  // Special logits: NaN gives 0 wherever it reaches; ±inf are probabilities 1 and 0.
  const float nan = std::nanf(""), inf = INFINITY;
  const std::vector<float> special = {nan, 0.0f, inf, -inf};  // 2×2
  const InstanceMaskGeometry same{1, 2, 2, 2, 0.5f};
  uint8_t out[4];
  postprocessInstanceMasks(special.data(), same, out);
  CHECK(out[0] == 0 && out[1] == 0 && out[2] == 1 && out[3] == 0, "special logits: %d %d %d %d", out[0], out[1], out[2],
        out[3]);
  // Threshold 1 keeps nothing, threshold 0 keeps every probability above 0.
  const std::vector<float> big = {100.0f, -95.0f, 20.0f, -20.0f};
  postprocessInstanceMasks(big.data(), {1, 2, 2, 2, 1.0f}, out);
  CHECK(out[0] + out[1] + out[2] + out[3] == 0, "threshold 1");
  postprocessInstanceMasks(big.data(), {1, 2, 2, 2, 0.0f}, out);
  CHECK(out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == 1, "threshold 0: %d %d %d %d", out[0], out[1], out[2], out[3]);
}

void testSigmoidMatchesPyTorch() {
  // torch.sigmoid of a float32 tensor (PyTorch 2.15, AVX-512 vector path), as bit patterns.
  const uint32_t cases[][2] = {
      {0x00000000, 0x3f000000}, {0x80000000, 0x3f000000}, {0x33d6bf95, 0x3f000001}, {0xb3d6bf95, 0x3f000000},
      {0x3e800000, 0x3f0feacd}, {0xbe800000, 0x3ee02a67}, {0x3f000000, 0x3f1f597f}, {0x3f800000, 0x3f3b26a8},
      {0xbf800000, 0x3e89b2b1}, {0x40200000, 0x3f6c948f}, {0xc0700000, 0x3cbc3b0a}, {0x40800000, 0x3f7b6541},
      {0x40c90fdb, 0x3f7f85d8}, {0xc0f00000, 0x3a10e858}, {0x41200000, 0x3f7ffd06}, {0xc144cccd, 0x3698bb00},
      {0x417e6666, 0x3f7ffffe}, {0xc184cccd, 0x3384a13e}, {0x418c0000, 0x3f800000}, {0xc1a00000, 0x310da433},
      {0x41f00000, 0x3f800000}, {0xc2200000, 0x229cbc92}, {0x424a0000, 0x3f800000}, {0xc2700000, 0x142d70c9},
      {0x42a00000, 0x3f800000}, {0xc2ae0000, 0x00b33688}, {0x42b10000, 0x3f800000}, {0xc2be0000, 0x00000000},
      {0x42ce0000, 0x3f800000}, {0xc2cfcccd, 0x00000000}, {0x0da24260, 0x3f000000}, {0x3f317218, 0x3f2aaaab},
  };
  for (const auto& c : cases) {
    float x, want;
    std::memcpy(&x, &c[0], 4);
    std::memcpy(&want, &c[1], 4);
    const float got = sigmoid(x);
    uint32_t bits;
    std::memcpy(&bits, &got, 4);
    CHECK(bits == c[1], "sigmoid(%.9g) = %.9g (0x%08x), PyTorch %.9g (0x%08x)", x, got, bits, want, c[1]);
  }
  CHECK(std::isnan(sigmoid(std::nanf(""))) && sigmoid(INFINITY) == 1.0f && sigmoid(-INFINITY) == 0.0f, "NaN, ±inf");
}

void testStats() {
  const std::vector<uint8_t> empty(12, 0);
  MaskStats s = maskStats(empty.data(), 4, 3);
  CHECK(s.area == 0 && s.bbox[0] == 0 && s.bbox[1] == 0 && s.bbox[2] == 0 && s.bbox[3] == 0, "empty mask");
  // 5×4 with set pixels at (1,1), (3,1), (2,2)
  std::vector<uint8_t> m(20, 0);
  m[1 * 5 + 1] = m[1 * 5 + 3] = m[2 * 5 + 2] = 1;
  s = maskStats(m.data(), 5, 4);
  CHECK(s.area == 3, "area %llu", static_cast<unsigned long long>(s.area));
  CHECK(s.bbox[0] == 1 && s.bbox[1] == 1 && s.bbox[2] == 3 && s.bbox[3] == 2, "bbox %d %d %d %d", s.bbox[0], s.bbox[1],
        s.bbox[2], s.bbox[3]);
  const std::vector<uint8_t> full(6, 1);
  s = maskStats(full.data(), 3, 2);
  CHECK(s.area == 6 && s.bbox[2] == 3 && s.bbox[3] == 2, "full mask");
}

void testRle() {
  // 3 wide, 2 high: rows [0 1 1] [0 0 1] → columns (0,0) (1,0) (1,1) → 0 0 1 0 1 1.
  const std::vector<uint8_t> m = {0, 1, 1, 0, 0, 1};
  auto counts = encodeRle(m.data(), 3, 2);
  CHECK((counts == std::vector<uint32_t>{2, 1, 1, 2}), "small mask counts");
  const std::vector<uint8_t> startsSet = {1, 1, 0, 0};  // 2×2: columns (1,0) (1,0)
  counts = encodeRle(startsSet.data(), 2, 2);
  CHECK((counts == std::vector<uint32_t>{0, 1, 1, 1, 1}), "leading zero count");
  const std::vector<uint8_t> zeros(6, 0);
  counts = encodeRle(zeros.data(), 3, 2);
  CHECK((counts == std::vector<uint32_t>{6}), "empty mask");

  std::mt19937 rng(7);
  for (int t = 0; t < 20; t++) {
    const int w = 1 + rng() % 50, h = 1 + rng() % 50;
    const auto mask = randomMask(rng, w, h, t % 3);
    counts = encodeRle(mask.data(), w, h);
    std::vector<uint8_t> back(mask.size(), 0);
    size_t pos = 0;
    for (size_t i = 0; i < counts.size(); i++)
      for (uint32_t j = 0; j < counts[i]; j++, pos++)
        if (pos < back.size()) back[(pos % h) * w + pos / h] = i % 2;
    CHECK(pos == mask.size(), "counts sum %zu != %zu", pos, mask.size());
    for (size_t i = 0; i < mask.size(); i++) CHECK(back[i] == (mask[i] != 0), "round trip pixel %zu", i);
  }
}

void testNormalize() {
  const int w = 3, h = 2, size = 4;
  std::vector<uint8_t> rgb(w * h * 3);
  for (size_t i = 0; i < rgb.size(); i++) rgb[i] = static_cast<uint8_t>(i * 13);
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdv[3] = {0.229f, 0.224f, 0.225f};
  std::vector<float> out(3 * size * size, 123.0f);
  normalizeToNchw(rgb.data(), w, h, size, mean, stdv, out.data());
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < size; y++)
      for (int x = 0; x < size; x++) {
        const float got = out[(c * size + y) * size + x];
        const float want = (x < w && y < h) ? (rgb[(y * w + x) * 3 + c] / 255.0f - mean[c]) / stdv[c] : 0.0f;
        CHECK(got == want, "c=%d x=%d y=%d: %g != %g", c, x, y, got, want);
      }
}

void testUpscaleMatchesPyTorch() {
  // A 3x2 RGB image enlarged to 7x5; want: F.interpolate(x.float(), (5, 7), mode="bilinear",
  // align_corners=False), rounded (numpy rint), computed once with PyTorch 2.
  const uint8_t in[] = {0, 10, 200, 255, 30, 7, 90, 90, 90, 17, 250, 3, 128, 64, 32, 1, 2, 254};
  const uint8_t want[] = {
      0,   10,  200, 36,  13,  172, 146, 21,  90,  255, 30,  7,   184, 56,  43,  114, 81,  78,  90,  90,  90,
      2,   34,  180, 36,  34,  156, 139, 34,  83,  242, 33,  10,  173, 54,  51,  104, 74,  93,  81,  81,  106,
      8,   130, 102, 35,  118, 90,  113, 83,  55,  192, 47,  20,  129, 47,  85,  66,  46,  150, 46,  46,  172,
      15,  226, 23,  33,  202, 24,  87,  131, 27,  141, 61,  30,  85,  39,  119, 29,  18,  208, 10,  11,  238,
      17,  250, 3,   33,  223, 7,   80,  144, 20,  128, 64,  32,  74,  37,  127, 19,  11,  222, 1,   2,   254};
  uint8_t got[sizeof(want)];
  upscaleRgb(in, 3, 2, 7, 5, got);
  for (size_t i = 0; i < sizeof(want); i++) CHECK(got[i] == want[i], "byte %zu: %d != %d", i, got[i], want[i]);
  // Same size is a copy.
  uint8_t same[sizeof(in)];
  upscaleRgb(in, 3, 2, 3, 2, same);
  for (size_t i = 0; i < sizeof(in); i++) CHECK(same[i] == in[i], "copy byte %zu", i);
}

void testSelection() {
  // Last candidate above the threshold; else the first maximum, flagged as not passed.
  const float iou[] = {0.6f, 0.7f, 0.2f,  /**/ 0.3f, 0.4f, 0.4f,  /**/ 0.5f, 0.9f, 0.5f};
  int32_t index[3];
  uint8_t passed[3];
  selectCandidates(iou, 3, 3, 0.5f, index, passed);
  CHECK(index[0] == 1 && passed[0] == 1, "prompt 0: %d %d", index[0], passed[0]);
  CHECK(index[1] == 1 && passed[1] == 0, "prompt 1 (tie, none passes): %d %d", index[1], passed[1]);
  CHECK(index[2] == 1 && passed[2] == 1, "prompt 2 (0.5 is not above 0.5): %d %d", index[2], passed[2]);
}

void testCpuFeaturesAreConsistent() {
  const CpuFeatures cpu = detectCpuFeatures();
  std::string usable;
  for (size_t i = 0; i < kCpuFeatureFieldCount; i++) {
    const CpuFeatureField& f = kCpuFeatureFields[i];
    CHECK(!(cpu.usable.*f.member) || cpu.reported.*f.member, "%s is usable but CPUID does not report it", f.name);
    if (cpu.usable.*f.member) usable += std::string(" ") + f.name;
  }
  std::printf("  cpu: %s %s \"%s\", usable:%s\n", cpu.arch.c_str(), cpu.vendor.c_str(), cpu.brand.c_str(),
              usable.empty() ? " none" : usable.c_str());
  const CpuFeatureSet& u = cpu.usable;
  CHECK(!u.amxBf16 || u.amxTile, "AMX-BF16 without AMX tiles");
  CHECK(!u.amxInt8 || u.amxTile, "AMX-INT8 without AMX tiles");
  CHECK(!u.avx512bw || u.avx512f, "AVX-512 BW without AVX-512 F");
  CHECK(!u.avx512vl || u.avx512f, "AVX-512 VL without AVX-512 F");
  CHECK(!u.avx512Vnni || u.avx512f, "AVX-512 VNNI without AVX-512 F");
  CHECK(!u.avx512Bf16 || u.avx512f, "AVX-512 BF16 without AVX-512 F");
  CHECK(!u.avx512Fp16 || u.avx512f, "AVX-512 FP16 without AVX-512 F");
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
  CHECK(cpu.arch == "x64" || cpu.arch == "ia32", "arch %s on x86", cpu.arch.c_str());
  CHECK(cpu.vendor.size() == 12, "vendor \"%s\" is not CPUID's 12 characters", cpu.vendor.c_str());
#else
  CHECK(!cpu.arch.empty() && cpu.vendor.empty() && cpu.brand.empty(), "arch %s, vendor %s", cpu.arch.c_str(), cpu.vendor.c_str());
  for (size_t i = 0; i < kCpuFeatureFieldCount; i++)
    CHECK(!(cpu.reported.*kCpuFeatureFields[i].member), "%s reported off x86", kCpuFeatureFields[i].name);
#endif
}

// Linux lists a flag in /proc/cpuinfo only where CPUID reports it, but not only where the OS
// enables its register state: a kernel without AMX support lists amx_* from CPUID (or, older
// still, names no AMX flag), and a kernel keeps listing avx512f where CPUID's XSAVE leaf leaves
// the ZMM state out. A feature whose state is on, though, was turned on by a kernel that knows it.
// So the listed flags lie between the two sets, usable ⊆ listed ⊆ reported, whichever the
// kernel, as long as it hides none (clearcpuid=) and knows the names of the CPU's features.
void testCpuFeaturesAgreeWithProcCpuinfo() {
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
  std::ifstream file("/proc/cpuinfo");
  CHECK(file, "/proc/cpuinfo is not readable");
  std::set<std::string> flags;
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;  // the first processor's; they list the same features
  }
  CHECK(!flags.empty(), "/proc/cpuinfo has no flags line");
  const CpuFeatures cpu = detectCpuFeatures();
  for (size_t i = 0; i < kCpuFeatureFieldCount; i++) {
    const CpuFeatureField& f = kCpuFeatureFields[i];
    const bool listed = flags.count(f.linuxFlag) > 0;
    CHECK(!listed || cpu.reported.*f.member, "/proc/cpuinfo lists %s but CPUID does not report it", f.linuxFlag);
    CHECK(listed || !(cpu.usable.*f.member), "%s is usable but /proc/cpuinfo does not list %s", f.name, f.linuxFlag);
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  bool requireGpu = false;
  for (int i = 1; i < argc; i++) requireGpu = requireGpu || std::string(argv[i]) == "--require-gpu";
  const std::pair<const char*, std::function<void()>> tests[] = {
      {"morphology matches the reference", testMorphologyMatchesReference},
      {"morphology op names", testParseMorphOp},
      {"postprocess matches a double-precision reference", testPostprocessMatchesReference},
      {"instance masks match a double-precision reference", testInstanceMasksMatchReference},
      {"sigmoid matches PyTorch's float32 sigmoid", testSigmoidMatchesPyTorch},
      {"mask stats", testStats},
      {"COCO RLE", testRle},
      {"normalize to NCHW", testNormalize},
      {"upscale matches PyTorch bilinear", testUpscaleMatchesPyTorch},
      {"candidate selection", testSelection},
      {"CPU features are consistent", testCpuFeaturesAreConsistent},
      {"CPU features agree with /proc/cpuinfo", testCpuFeaturesAgreeWithProcCpuinfo},
  };
  int failedTests = 0;
  for (const auto& [name, fn] : tests) {
    const int before = failures;
    fn();
    const bool ok = failures == before;
    failedTests += !ok;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", name);
  }
#ifdef SAM3CLIP_HAS_CUDA
  failedTests += sam3clip::testing::runCudaKernelTests(requireGpu);
#else
  if (requireGpu) {
    std::printf("FAIL this build has no CUDA (configure with SAM3CLIP_WITH_CUDA=ON)\n");
    failedTests++;
  }
#endif
  std::printf("%d test(s) failed\n", failedTests);
  return failedTests > 0 ? 1 : 0;
}
