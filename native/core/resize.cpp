#include "resize.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace sam3clip {

namespace {

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// PyTorch's (and PIL's) bicubic: Keys' cubic convolution with a = -0.5.
double cubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// One pass along an axis of `lines` lines: `stride` bytes between neighbouring taps, `step`
// between neighbouring lines (HWC with 3 channels). Accumulates in int32 from a half-unit start.
void pass(const ResizeTaps& taps, const uint8_t* in, uint8_t* out, int outSize, int lines, size_t inTap,
          size_t inLine, size_t outTap, size_t outLine) {
  const int32_t half = 1 << (taps.precision - 1);
  for (int line = 0; line < lines; line++) {
    const uint8_t* src = in + line * inLine;
    uint8_t* dst = out + line * outLine;
    for (int i = 0; i < outSize; i++) {
      const int16_t* w = &taps.weights[static_cast<size_t>(i) * taps.ksize];
      const uint8_t* s = src + static_cast<size_t>(taps.first[i]) * inTap;
      int32_t acc[3] = {half, half, half};
      for (int j = 0; j < taps.count[i]; j++)
        for (int c = 0; c < 3; c++) acc[c] += static_cast<int32_t>(s[j * inTap + c]) * w[j];
      for (int c = 0; c < 3; c++) dst[i * outTap + c] = static_cast<uint8_t>(std::clamp(acc[c] >> taps.precision, 0, 255));
    }
  }
}

}  // namespace

ResizeTaps resizeTaps(int inSize, int outSize, ResizeFilter filter) {
  ResizeTaps taps;
  const double scale = static_cast<double>(inSize) / outSize;
  double (*kernel)(double) = filter == ResizeFilter::Bicubic ? cubic : triangle;
  const double reach = filter == ResizeFilter::Bicubic ? 2.0 : 1.0;
  // The filter stretches by the reduction (antialiasing); it never narrows below its own reach.
  const double support = scale >= 1.0 ? reach * scale : reach;
  const double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
  taps.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(outSize);
  taps.count.resize(outSize);
  std::vector<double> w(static_cast<size_t>(outSize) * taps.ksize, 0.0);
  double maxWeight = 0.0;
  for (int i = 0; i < outSize; i++) {
    const double center = scale * (i + 0.5);
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), inSize);
    taps.first[i] = lo;
    taps.count[i] = hi - lo;
    double* row = &w[static_cast<size_t>(i) * taps.ksize];
    double total = 0.0;
    for (int j = 0; j < hi - lo; j++) total += row[j] = kernel((j + lo - center + 0.5) * invScale);
    if (total != 0.0)
      for (int j = 0; j < hi - lo; j++) maxWeight = std::max(maxWeight, row[j] /= total);
  }
  // The finest precision whose largest weight still fits int16 (at most 22 bits).
  int precision = 0;
  while (precision < 22 && static_cast<int>(0.5 + maxWeight * (1 << (precision + 1))) < (1 << 15)) precision++;
  taps.precision = precision;
  taps.weights.resize(w.size());
  for (size_t k = 0; k < w.size(); k++) {
    const double v = w[k] * (1 << precision);
    taps.weights[k] = static_cast<int16_t>(v < 0 ? -0.5 + v : 0.5 + v);
  }
  return taps;
}

void resizeRgb(const uint8_t* rgb, int inW, int inH, int outW, int outH, uint8_t* out, ResizeFilter filter) {
  const size_t inRow = static_cast<size_t>(inW) * 3;
  if (inW == outW && inH == outH) {
    std::copy(rgb, rgb + inRow * inH, out);
    return;
  }
  // Horizontal first (every input row), then vertical, as the reference does.
  std::vector<uint8_t> temp;
  const uint8_t* src = rgb;
  if (outW != inW) {
    const ResizeTaps h = resizeTaps(inW, outW, filter);
    uint8_t* dst = out;
    if (outH != inH) {
      temp.resize(static_cast<size_t>(outW) * 3 * inH);
      dst = temp.data();
    }
    pass(h, rgb, dst, outW, inH, 3, inRow, 3, static_cast<size_t>(outW) * 3);
    if (outH == inH) return;
    src = temp.data();
  }
  const ResizeTaps v = resizeTaps(inH, outH, filter);
  const size_t row = static_cast<size_t>(outW) * 3;
  // Vertical: taps are rows apart; each column (and channel triple) is a line.
  pass(v, src, out, outH, outW, row, 3, row, 3);
}

}  // namespace sam3clip
