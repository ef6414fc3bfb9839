// SAM mask post-processing, computed the way PyTorch (CPU, float32) does it:
//   F.interpolate(lowres, (S, S), mode='bilinear', align_corners=False)
//   [..., :resizedH, :resizedW]
//   F.interpolate(..., (originalH, originalW), mode='bilinear', align_corners=False) > 0
#pragma once

#include <cstdint>

namespace sam3clip {

struct MaskGeometry {
  int numMasks;
  int lowresSize;  // L: the decoder's L×L logits
  int inputSize;   // S: the encoder's square input
  int resizedH, resizedW;  // the image's size inside the S×S input (1..S)
  int originalH, originalW;
};

// lowres: numMasks*L*L float32; out: numMasks*originalH*originalW bytes of 0/1.
// The caller checks the geometry (every field >= 1, resized <= S).
void postprocessMasks(const float* lowres, const MaskGeometry& g, uint8_t* out);

}  // namespace sam3clip
