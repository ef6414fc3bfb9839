#include "postprocess.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "linear_taps.h"

namespace sam3clip {
namespace {

// PyTorch evaluates each output as (a*wx0 + b*wx1)*wy0 + (c*wx0 + d*wx1)*wy1: the horizontal
// blend of a source row does not depend on the output row, so blending each needed source row
// once and then mixing rows gives the same float results with far fewer operations.
class Resampler {
 public:
  // Resizes inH×inW to outH×outW but produces only the top-left keepH×keepW of the result.
  Resampler(int inH, int inW, int outH, int outW, int keepH, int keepW)
      : outW_(keepW), rows_(linearTaps(inH, outH)), cols_(linearTaps(inW, outW)),
        cache_{std::vector<float>(keepW), std::vector<float>(keepW)} {
    rows_.resize(keepH);
    cols_.resize(keepW);
  }

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
  const float* blended(const float* src, size_t stride, int r) {
    for (int s = 0; s < 2; s++)
      if (cached_[s] == r) return cache_[s].data();
    const int slot = (cached_[0] < cached_[1]) ? 0 : 1;  // evict the older (lower) row
    cached_[slot] = r;
    const float* in = src + static_cast<size_t>(r) * stride;
    float* out = cache_[slot].data();
    for (int x = 0; x < outW_; x++) {
      const LinearTap& tx = cols_[x];
      out[x] = in[tx.i0] * tx.w0 + in[tx.i1] * tx.w1;
    }
    return out;
  }

  int outW_;
  std::vector<LinearTap> rows_, cols_;
  std::vector<float> cache_[2];
  int cached_[2] = {-1, -1};
};

}  // namespace

void postprocessMasks(const float* lowres, const MaskGeometry& g, uint8_t* out) {
  const int L = g.lowresSize, S = g.inputSize;
  const int rh = g.resizedH, rw = g.resizedW, oh = g.originalH, ow = g.originalW;
  // Only the top-left rh×rw of the S×S upscale is ever read, so only that crop is computed
  // (with the S×S taps, so the values are those of the full upscale).
  Resampler first(L, L, S, S, rh, rw);
  Resampler second(rh, rw, oh, ow, oh, ow);
  std::vector<float> crop(static_cast<size_t>(rh) * rw);
  const size_t plane = static_cast<size_t>(oh) * ow;
  for (int m = 0; m < g.numMasks; m++) {
    const float* logits = lowres + static_cast<size_t>(m) * L * L;
    first.run(logits, L, [&](int y, const float* row) {
      std::copy(row, row + rw, crop.data() + static_cast<size_t>(y) * rw);
    });
    uint8_t* dst = out + m * plane;
    second.run(crop.data(), rw, [&](int y, const float* row) {
      uint8_t* d = dst + static_cast<size_t>(y) * ow;
      for (int x = 0; x < ow; x++) d[x] = row[x] > 0.0f;
    });
  }
}

}  // namespace sam3clip
