// Image normalization for the image encoder input.
#pragma once

#include <cstdint>

namespace sam3clip {

// rgb: width*height*3 bytes (HWC, already resized so width, height <= size).
// out: 3*size*size floats, NCHW with N = 1. Pixel (x, y) of channel c becomes
// (value / 255 - mean[c]) / std[c]; everything right of or below the image is 0, i.e. the
// zero padding is applied after normalization, as SAM pads its longest-side resize.
void normalizeToNchw(const uint8_t* rgb, int width, int height, int size, const float mean[3],
                     const float std[3], float* out);

}  // namespace sam3clip
