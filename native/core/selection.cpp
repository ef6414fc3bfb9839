#include "selection.h"

namespace sam3clip {

void selectCandidates(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                      uint8_t* passed) {
  for (int p = 0; p < numPrompts; p++) {
    const float* s = iou + static_cast<long>(p) * numCandidates;
    int last = -1, best = 0;
    for (int k = 0; k < numCandidates; k++) {
      if (s[k] > threshold) last = k;
      if (s[k] > s[best]) best = k;
    }
    index[p] = last >= 0 ? last : best;
    passed[p] = last >= 0 ? 1 : 0;
  }
}

}  // namespace sam3clip
