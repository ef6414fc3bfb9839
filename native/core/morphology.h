// Binary morphology on one-byte-per-pixel masks, bit-exact with OpenCV 4.6 cv::morphologyEx
// for an all-ones k×k kernel with the default anchor (k/2, k/2) and default border.
#pragma once

#include <cstdint>
#include <string_view>

namespace sam3clip {

enum class MorphOp { Dilate, Erode, Open, Close };

// Kernels larger than this are rejected by the bindings; the core handles any k >= 1.
constexpr int kMaxMorphKernel = 255;

// Maps "dilate" | "erode" | "open" | "close" to an op; false for anything else.
bool parseMorphOp(std::string_view name, MorphOp& op);

// src and dst hold width*height bytes, row-major; any nonzero src byte counts as set, dst is 0/1.
// The window of output pixel (x, y) is [x - k/2, x - k/2 + k - 1] × [y - k/2, y - k/2 + k - 1],
// the same for dilate and erode (OpenCV does not reflect the kernel), and pixels outside the
// image never change the result. src and dst may be the same buffer.
void morphology(const uint8_t* src, uint8_t* dst, int width, int height, MorphOp op, int k);

}  // namespace sam3clip
