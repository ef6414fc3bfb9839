#include "instance_masks.h"

#include <cstddef>
#include <vector>

#include "resampler.h"
#include "sigmoid.h"

namespace sam3clip {

void postprocessInstanceMasks(const float* logits, const InstanceMaskGeometry& g, uint8_t* out) {
  const int m = g.maskSize, oh = g.originalH, ow = g.originalW;
  const float threshold = g.maskThreshold;
  const size_t planeIn = static_cast<size_t>(m) * m, planeOut = static_cast<size_t>(oh) * ow;
  Resampler resize(m, m, oh, ow, oh, ow);
  std::vector<float> probs(planeIn);
  for (int k = 0; k < g.numMasks; k++) {
    const float* src = logits + k * planeIn;
    for (size_t i = 0; i < planeIn; i++) probs[i] = sigmoid(src[i]);
    uint8_t* dst = out + k * planeOut;
    resize.run(probs.data(), m, [&](int y, const float* row) {
      uint8_t* d = dst + static_cast<size_t>(y) * ow;
      for (int x = 0; x < ow; x++) d[x] = row[x] > threshold;
    });
  }
}

}  // namespace sam3clip
