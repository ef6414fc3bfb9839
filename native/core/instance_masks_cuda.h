// CUDA twin of instance_masks.h: sigmoid, bilinear resize to the original size and threshold in
// one kernel, reading only the query planes an index list names (the kept queries, chosen on the
// device). Same sigmoid (sigmoid.h), same taps, same float operations in the same order as the
// CPU version (no fused multiply-adds in the resize), so the masks are bit-exact with it.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "instance_masks.h"

namespace sam3clip::cuda {

// logits (device): numPlanes × m × m mask logits (all the decoder's queries).
// planeIndex (device): g.numMasks plane numbers, mask k made from plane planeIndex[k]; an index
// outside [0, numPlanes) (e.g. -1 padding after the kept queries) gives an all-zero mask. nullptr:
// mask k is plane k (numPlanes must then be >= g.numMasks).
// out (device): g.numMasks × originalH × originalW bytes of 0/1.
cudaError_t postprocessInstanceMasks(const float* logits, int numPlanes, const int32_t* planeIndex,
                                     const InstanceMaskGeometry& g, uint8_t* out, cudaStream_t stream);

}  // namespace sam3clip::cuda
