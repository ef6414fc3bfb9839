#include "postprocess.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "resampler.h"

namespace sam3clip {

void postprocessMasks(const float* lowres, const MaskGeometry& g, uint8_t* out) {
  const int L = g.lowresSize, S = g.inputSize;
  const int rh = g.resizedH, rw = g.resizedW, oh = g.originalH, ow = g.originalW;
  // Only the top-left rh×rw of the S×S upscale is ever read, so only that crop is computed
  // (with the S×S taps, so the values are those of the full upscale).
  Resampler first(L, L, S, S, rh, rw);
  Resampler second(rh, rw, oh, ow, oh, ow);
  std::vector<float> crop(static_cast<size_t>(rh) * rw);
  const size_t plane = static_cast<size_t>(oh) * ow;
  for (int m = 0; m < g.numMasks; m++) {
    const float* logits = lowres + static_cast<size_t>(m) * L * L;
    first.run(logits, L, [&](int y, const float* row) {
      std::copy(row, row + rw, crop.data() + static_cast<size_t>(y) * rw);
    });
    uint8_t* dst = out + m * plane;
    second.run(crop.data(), rw, [&](int y, const float* row) {
      uint8_t* d = dst + static_cast<size_t>(y) * ow;
      for (int x = 0; x < ow; x++) d[x] = row[x] > 0.0f;
    });
  }
}

}  // namespace sam3clip
