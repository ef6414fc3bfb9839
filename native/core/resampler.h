// Bilinear resampling of one float plane with PyTorch's float32 CPU arithmetic
// (F.interpolate(mode='bilinear', align_corners=False), no antialiasing): the taps of linearTaps()
// and each output as below, every step rounded, no fused multiply-adds. Shared by the SAM mask
// post-processing (postprocess.cpp) and the SAM3 instance masks (instance_masks.cpp).
// PyTorch builds whose compiler contracts these steps into FMAs and computes the source index in
// float (2.15 on AVX-512: outputs > 128 long) land up to a few ulps away on some outputs; only
// values within ~1e-6 of a threshold can then binarize differently.
#pragma once

#include <cstddef>
#include <vector>

#include "linear_taps.h"

namespace sam3clip {

// PyTorch evaluates each output as (a*wx0 + b*wx1)*wy0 + (c*wx0 + d*wx1)*wy1: the horizontal
// blend of a source row does not depend on the output row, so blending each needed source row
// once and then mixing rows gives the same float results with far fewer operations.
// (The build passes -ffp-contract=off, so none of these products is fused into an FMA.)
class Resampler {
 public:
  // Resizes inH×inW to outH×outW but produces only the top-left keepH×keepW of the result.
  Resampler(int inH, int inW, int outH, int outW, int keepH, int keepW);

  // src: inH rows of `stride` floats (only the first inW used). emit(y, row) gets each output row.
  template <typename Emit>
  void run(const float* src, size_t stride, Emit&& emit) {
    cached_[0] = cached_[1] = -1;
    std::vector<float> row(outW_);
    for (size_t y = 0; y < rows_.size(); y++) {
      const LinearTap& ty = rows_[y];
      const float* top = blended(src, stride, ty.i0);
      const float* bottom = blended(src, stride, ty.i1);
      for (int x = 0; x < outW_; x++) row[x] = top[x] * ty.w0 + bottom[x] * ty.w1;
      emit(static_cast<int>(y), row.data());
    }
  }

 private:
  // The horizontally blended source row r; rows are requested in non-decreasing order,
  // so two slots suffice.
  const float* blended(const float* src, size_t stride, int r);

  int outW_;
  std::vector<LinearTap> rows_, cols_;
  std::vector<float> cache_[2];
  int cached_[2] = {-1, -1};
};

}  // namespace sam3clip
