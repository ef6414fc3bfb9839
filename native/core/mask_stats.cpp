#include "mask_stats.h"

#include <algorithm>

namespace sam3clip {

MaskStats maskStats(const uint8_t* mask, int width, int height) {
  MaskStats s;
  int x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (int y = 0; y < height; y++) {
    const uint8_t* row = mask + static_cast<size_t>(y) * width;
    int first = -1, last = -1, count = 0;
    for (int x = 0; x < width; x++) {
      if (!row[x]) continue;
      if (first < 0) first = x;
      last = x;
      count++;
    }
    if (first < 0) continue;
    s.area += count;
    x0 = std::min(x0, first);
    x1 = std::max(x1, last);
    if (y0 == height) y0 = y;
    y1 = y;
  }
  if (s.area > 0) {
    s.bbox[0] = x0;
    s.bbox[1] = y0;
    s.bbox[2] = x1 - x0 + 1;
    s.bbox[3] = y1 - y0 + 1;
  }
  return s;
}

std::vector<uint32_t> encodeRle(const uint8_t* mask, int width, int height) {
  std::vector<uint32_t> counts;
  bool current = false;
  uint32_t run = 0;
  for (int x = 0; x < width; x++) {
    const uint8_t* p = mask + x;
    for (int y = 0; y < height; y++, p += width) {
      const bool v = *p != 0;
      if (v != current) {
        counts.push_back(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push_back(run);
  return counts;
}

}  // namespace sam3clip
