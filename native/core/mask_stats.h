// Area, bounding box and COCO run-length encoding of a one-byte-per-pixel mask (nonzero = set).
#pragma once

#include <cstdint>
#include <vector>

namespace sam3clip {

struct MaskStats {
  uint64_t area = 0;
  int bbox[4] = {0, 0, 0, 0};  // x, y, width, height; all 0 for an empty mask
};

MaskStats maskStats(const uint8_t* mask, int width, int height);

// COCO uncompressed RLE: runs taken in column-major (Fortran) order, alternating 0-runs and
// 1-runs, starting with a 0-run that may be empty. The counts sum to width*height.
std::vector<uint32_t> encodeRle(const uint8_t* mask, int width, int height);

}  // namespace sam3clip
