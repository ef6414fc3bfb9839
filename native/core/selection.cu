#include "selection.h"
#include "selection_cuda.h"

namespace sam3clip::cuda {
namespace {

__global__ void selectKernel(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                             uint8_t* passed) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= numPrompts) return;
  selectOne(iou + static_cast<long>(p) * numCandidates, numCandidates, threshold, index + p, passed + p);
}

}  // namespace

cudaError_t selectCandidates(const float* iou, int numPrompts, int numCandidates, float threshold, int32_t* index,
                             uint8_t* passed, cudaStream_t stream) {
  if (numPrompts <= 0) return cudaSuccess;
  selectKernel<<<(numPrompts + 127) / 128, 128, 0, stream>>>(iou, numPrompts, numCandidates, threshold, index, passed);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
