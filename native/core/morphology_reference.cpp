#include "morphology_reference.h"

#include <algorithm>
#include <vector>

namespace sam3clip {
namespace {

// One k×k window pass; out-of-image pixels are skipped, which is what OpenCV's default
// border value (the identity of max for dilate, of min for erode) amounts to.
std::vector<uint8_t> windowPass(const std::vector<uint8_t>& in, int w, int h, int k, bool isMax) {
  const int a = k / 2;
  std::vector<uint8_t> out(in.size());
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      uint8_t v = isMax ? 0 : 1;
      for (int dy = -a; dy < k - a; dy++) {
        for (int dx = -a; dx < k - a; dx++) {
          const int yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const uint8_t p = in[static_cast<size_t>(yy) * w + xx];
          v = isMax ? std::max(v, p) : std::min(v, p);
        }
      }
      out[static_cast<size_t>(y) * w + x] = v;
    }
  }
  return out;
}

}  // namespace

void morphologyReference(const uint8_t* src, uint8_t* dst, int width, int height, MorphOp op, int k) {
  const size_t n = static_cast<size_t>(width) * height;
  std::vector<uint8_t> m(n);
  for (size_t i = 0; i < n; i++) m[i] = src[i] != 0;
  switch (op) {
    case MorphOp::Dilate: m = windowPass(m, width, height, k, true); break;
    case MorphOp::Erode: m = windowPass(m, width, height, k, false); break;
    case MorphOp::Open: m = windowPass(windowPass(m, width, height, k, false), width, height, k, true); break;
    case MorphOp::Close: m = windowPass(windowPass(m, width, height, k, true), width, height, k, false); break;
  }
  std::copy(m.begin(), m.end(), dst);
}

}  // namespace sam3clip
