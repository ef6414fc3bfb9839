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

// The first channel c for which some byte value x gives a (x / 255 - mean[c]) / std[c] that is
// not a finite float (std rounding to 0 in float32, a mean or std beyond float32's range), or -1
// where all 3 × 256 values are finite. Computed exactly as normalizeToNchw computes them.
int firstNonFiniteNormalization(const float mean[3], const float std[3]);

}  // namespace sam3clip
