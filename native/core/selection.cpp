#include "selection.h"

namespace sam3clip {

void selectCandidates(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                      uint8_t* passed) {
  for (int p = 0; p < numPrompts; p++)
    selectOne(iou + static_cast<long>(p) * numCandidates, numCandidates, threshold, index + p, passed + p);
}

}  // namespace sam3clip
