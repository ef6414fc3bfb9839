// The encoder input's resize, computed as transformers' image processors compute it: torchvision's
// resize(BILINEAR, antialias=True) on the uint8 image, i.e. PyTorch's uint8 antialiased bilinear
// kernel (PIL's Image.resize(BILINEAR) is within one level of it). A triangle filter whose support
// widens with a reduction (antialiasing) and is one input pixel when enlarging; per-axis weights
// rounded to int16 at the finest precision that keeps the largest weight below 2^15; a horizontal
// pass, then a vertical one, each rounded to 8 bits. libvips' kernels give other bytes (its shrink
// filters differ, its linear upscale is half an output pixel off).
#pragma once

#include <cstdint>
#include <vector>

namespace sam3clip {

// The taps of one axis: output i reads count[i] inputs from first[i] with weights
// weights[i * ksize + j] / 2^precision.
struct ResizeTaps {
  int ksize = 0;
  int precision = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int16_t> weights;
};

// The kernel: bilinear (a triangle, support 1: the encoder input, as the SAM processors resize) or
// bicubic (Keys' cubic with a = -0.5, support 2: CLIPImageProcessor's resize). Either stretches by
// the reduction when shrinking, and the weights and passes are the same for both.
enum class ResizeFilter { Bilinear, Bicubic };

ResizeTaps resizeTaps(int inSize, int outSize, ResizeFilter filter = ResizeFilter::Bilinear);

// rgb: inW*inH*3 bytes (HWC); out: outW*outH*3 bytes, either axis shrinking or growing; an axis
// whose size does not change is passed through untouched. Each pass saturates to 0..255 (the
// cubic's negative lobes can overshoot).
void resizeRgb(const uint8_t* rgb, int inW, int inH, int outW, int outH, uint8_t* out,
               ResizeFilter filter = ResizeFilter::Bilinear);

}  // namespace sam3clip
