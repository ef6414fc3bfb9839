#include "upscale.h"

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "linear_taps.h"

namespace sam3clip {

void upscaleRgb(const uint8_t* rgb, int inW, int inH, int outW, int outH, uint8_t* out) {
  const std::vector<LinearTap> rows = linearTaps(inH, outH), cols = linearTaps(inW, outW);
  // Each output row blends two source rows, each first blended horizontally (as PyTorch evaluates
  // (a*wx0 + b*wx1)*wy0 + (c*wx0 + d*wx1)*wy1).
  std::vector<float> top(static_cast<size_t>(outW) * 3), bottom(top.size());
  auto blendRow = [&](int r, std::vector<float>& dst) {
    const uint8_t* src = rgb + static_cast<size_t>(r) * inW * 3;
    for (int x = 0; x < outW; x++) {
      const LinearTap& t = cols[x];
      for (int c = 0; c < 3; c++)
        dst[x * 3 + c] = static_cast<float>(src[t.i0 * 3 + c]) * t.w0 + static_cast<float>(src[t.i1 * 3 + c]) * t.w1;
    }
  };
  // Output rows step through the source rows in order: a blended row is reused while it is still needed
  // (an enlargement by f reads each source row for about 2f output rows).
  int topRow = -1, bottomRow = -1;
  for (int y = 0; y < outH; y++) {
    const LinearTap& t = rows[y];
    if (t.i0 != topRow) {
      if (t.i0 == bottomRow) {
        std::swap(top, bottom);
        std::swap(topRow, bottomRow);
      } else {
        blendRow(t.i0, top);
        topRow = t.i0;
      }
    }
    if (t.i1 != bottomRow) {
      blendRow(t.i1, bottom);
      bottomRow = t.i1;
    }
    uint8_t* dst = out + static_cast<size_t>(y) * outW * 3;
    for (size_t i = 0; i < top.size(); i++) {
      const float v = std::nearbyint(top[i] * t.w0 + bottom[i] * t.w1);
      dst[i] = static_cast<uint8_t>(v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v));
    }
  }
}

}  // namespace sam3clip
