#include "resampler.h"

namespace sam3clip {

Resampler::Resampler(int inH, int inW, int outH, int outW, int keepH, int keepW)
    : outW_(keepW), rows_(linearTaps(inH, outH)), cols_(linearTaps(inW, outW)),
      cache_{std::vector<float>(keepW), std::vector<float>(keepW)} {
  rows_.resize(keepH);
  cols_.resize(keepW);
}

const float* Resampler::blended(const float* src, size_t stride, int r) {
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

}  // namespace sam3clip
