// The detection rule, shared by every backend (lib/selection.ts is the same rule for the CPU
// backend's JavaScript path): among the candidates whose predicted IoU exceeds the threshold take
// the last (SAM orders candidates from part to whole); if none does, take the best (first
// maximum) and report that none passed.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define SAM3CLIP_HOST_DEVICE __host__ __device__
#else
#define SAM3CLIP_HOST_DEVICE
#endif

namespace sam3clip {

// One prompt's choice from its numCandidates scores. The CPU loop and the CUDA kernel both call
// this, so the two backends cannot drift apart on the rule.
SAM3CLIP_HOST_DEVICE inline void selectOne(const float* scores, int numCandidates, float threshold, int32_t* index,
                                           uint8_t* passed) {
  int last = -1, best = 0;
  for (int k = 0; k < numCandidates; k++) {
    if (scores[k] > threshold) last = k;
    if (scores[k] > scores[best]) best = k;
  }
  *index = last >= 0 ? last : best;
  *passed = last >= 0 ? 1 : 0;
}

// iou: numPrompts × numCandidates. index/passed: numPrompts each.
void selectCandidates(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                      uint8_t* passed);

}  // namespace sam3clip
