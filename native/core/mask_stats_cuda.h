// CUDA twin of mask_stats.h (area and bounding box; the RLE stays on the host, where the mask is).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "mask_stats.h"

namespace sam3clip::cuda {

// Filled by maskStats: minX/minY start at INT_MAX and maxX/maxY at -1, so an empty mask keeps them.
struct MaskStatsDevice {
  unsigned long long area;
  int minX, minY, maxX, maxY;
};

// mask (device): width × height bytes, nonzero = set. out (device): one MaskStatsDevice.
cudaError_t maskStats(const uint8_t* mask, int width, int height, MaskStatsDevice* out, cudaStream_t stream);

// The CPU MaskStats of what maskStats wrote (copied back to the host).
MaskStats toMaskStats(const MaskStatsDevice& d);

}  // namespace sam3clip::cuda
