#include "selection_cuda.h"

namespace sam3clip::cuda {
namespace {

__global__ void selectKernel(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                             uint8_t* passed) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= numPrompts) return;
  const float* s = iou + static_cast<long>(p) * numCandidates;
  int last = -1, best = 0;
  for (int k = 0; k < numCandidates; k++) {
    if (s[k] > threshold) last = k;
    if (s[k] > s[best]) best = k;
  }
  index[p] = last >= 0 ? last : best;
  passed[p] = last >= 0 ? 1 : 0;
}

}  // namespace

cudaError_t selectCandidates(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                             uint8_t* passed, cudaStream_t stream) {
  if (numPrompts <= 0) return cudaSuccess;
  selectKernel<<<(numPrompts + 127) / 128, 128, 0, stream>>>(iou, numPrompts, numCandidates, threshold, index, passed);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
