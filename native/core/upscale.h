// Float bilinear enlargement, as PyTorch's F.interpolate(float, mode="bilinear",
// align_corners=False) computes it: output pixel centres map onto input pixel centres (libvips'
// linear upscale puts output pixel i at input coordinate i * scale instead, half an output pixel
// off). The encoder input uses resizeRgb (resize.h), transformers' uint8 kernel, which rounds
// differently in about a fifth of the pixels.
#pragma once

#include <cstdint>

namespace sam3clip {

// rgb: inW*inH*3 bytes (HWC); out: outW*outH*3 bytes. Meant for outW >= inW and outH >= inH (an
// axis that shrinks would alias: that is sharp's job, with its antialiasing filter). Values are
// computed in float and rounded to the nearest integer.
void upscaleRgb(const uint8_t* rgb, int inW, int inH, int outW, int outH, uint8_t* out);

}  // namespace sam3clip
