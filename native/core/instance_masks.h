// SAM3 concept-segmentation instance masks, computed as transformers'
// Sam3ImageProcessor.post_process_instance_segmentation does on the CPU in float32:
//   p = sigmoid(logits)                                              (probabilities, not logits)
//   F.interpolate(p[None], (originalH, originalW), mode='bilinear', align_corners=False)[0]
//   > maskThreshold
#pragma once

#include <cstdint>

namespace sam3clip {

struct InstanceMaskGeometry {
  int numMasks;
  int maskSize;  // m: the decoder's m×m mask logits per query
  int originalH, originalW;
  float maskThreshold;  // compared in float32 with `>`, as PyTorch compares a float tensor with a scalar
};

// logits: numMasks*m*m float32; out: numMasks*originalH*originalW bytes of 0/1.
// The caller checks the geometry (every size >= 1). NaN logits give 0 wherever they reach.
void postprocessInstanceMasks(const float* logits, const InstanceMaskGeometry& g, uint8_t* out);

}  // namespace sam3clip
