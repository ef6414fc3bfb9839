#include "linear_taps.h"

#include <algorithm>

namespace sam3clip {

std::vector<LinearTap> linearTaps(int inSize, int outSize) {
  std::vector<LinearTap> taps(outSize);
  // area_pixel_compute_scale with no scale_factor: float(in) / out, in float.
  const float scale = static_cast<float>(inSize) / static_cast<float>(outSize);
  for (int i = 0; i < outSize; i++) {
    LinearTap& t = taps[i];
    if (inSize == outSize) {  // PyTorch's copy shortcut
      t = {i, i, 1.0f, 0.0f};
      continue;
    }
    // area_pixel_compute_source_index: `scale * (dst_index + 0.5) - 0.5` is evaluated in double
    // (dst_index + 0.5 is a double) and stored as float, then clamped at 0.
    float src = static_cast<float>(static_cast<double>(scale) * (i + 0.5) - 0.5);
    if (src < 0) src = 0;
    t.i0 = std::min(static_cast<int>(src), inSize - 1);
    t.i1 = t.i0 + (t.i0 < inSize - 1 ? 1 : 0);
    t.w1 = std::min(std::max(src - static_cast<float>(t.i0), 0.0f), 1.0f);
    t.w0 = 1.0f - t.w1;
  }
  return taps;
}

}  // namespace sam3clip
