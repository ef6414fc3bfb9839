// CUDA twin of postprocess.h, fused with candidate selection: for each prompt it reads the
// candidate chosen by selectCandidates and writes the final 0/1 mask at the original size.
// Same taps, same float operations in the same order as the CPU version (no fused
// multiply-adds), so the masks are bit-exact with it.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "postprocess.h"

namespace sam3clip::cuda {

// lowres (device): numMasks × numCandidates × L × L logits; candidateIndex (device): numMasks
// indices, or nullptr to read lowres as numMasks × L × L (numCandidates ignored).
// out (device): numMasks × originalH × originalW bytes.
cudaError_t postprocessMasks(const float* lowres, const int32_t* candidateIndex, int numCandidates, const MaskGeometry& g,
                             uint8_t* out, cudaStream_t stream);

}  // namespace sam3clip::cuda
