#include "preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace sam3clip {

namespace {
float normalized(int v, float mean, float std) { return (static_cast<float>(v) / 255.0f - mean) / std; }
}  // namespace

int firstNonFiniteNormalization(const float mean[3], const float std[3]) {
  for (int c = 0; c < 3; c++) {
    // std == 0 is checked first: dividing by it is what the check exists to prevent.
    if (!std::isfinite(mean[c]) || !std::isfinite(std[c]) || std[c] == 0.0f) return c;
    for (int v = 0; v < 256; v++)
      if (!std::isfinite(normalized(v, mean[c], std[c]))) return c;
  }
  return -1;
}

void normalizeToNchw(const uint8_t* rgb, int width, int height, int size, const float mean[3],
                     const float std[3], float* out) {
  const size_t plane = static_cast<size_t>(size) * size;
  std::fill(out, out + 3 * plane, 0.0f);
  for (int c = 0; c < 3; c++) {
    // 256 possible inputs per channel: a table gives the same floats as computing each pixel.
    float table[256];
    for (int v = 0; v < 256; v++) table[v] = normalized(v, mean[c], std[c]);
    float* dst = out + c * plane;
    for (int y = 0; y < height; y++) {
      const uint8_t* src = rgb + static_cast<size_t>(y) * width * 3 + c;
      float* row = dst + static_cast<size_t>(y) * size;
      for (int x = 0; x < width; x++) row[x] = table[src[3 * x]];
    }
  }
}

}  // namespace sam3clip
