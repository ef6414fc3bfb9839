// The detection rule, shared by every backend (lib/selection.ts is the same rule for the CPU
// backend's JavaScript path): among the candidates whose predicted IoU exceeds the threshold take
// the last (SAM orders candidates from part to whole); if none does, take the best (first
// maximum) and report that none passed.
#pragma once
#include <cstdint>

namespace sam3clip {

// iou: numPrompts × numCandidates. index/passed: numPrompts each.
void selectCandidates(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                      uint8_t* passed);

}  // namespace sam3clip
