// Source taps of 1-D linear resampling, as PyTorch's bilinear interpolation (align_corners=False,
// no antialiasing) computes them in float32. Shared by the mask post-processing and the image upscale.
#pragma once

#include <vector>

namespace sam3clip {

struct LinearTap {
  int i0, i1;
  float w0, w1;
};

// One tap per output index of a resize from inSize to outSize samples.
std::vector<LinearTap> linearTaps(int inSize, int outSize);

}  // namespace sam3clip
