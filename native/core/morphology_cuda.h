// CUDA twin of morphology.h: the same binary morphology (all-ones k×k kernel, OpenCV's window
// and border), bit-exact with the CPU version. Masks are bit-packed (32 pixels per word) so the
// separable max/min passes move 1/8 of the bytes; erosion is the complement of the dilation of
// the complement, with pixels outside the image neutral in both.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "morphology.h"

namespace sam3clip::cuda {

// Device scratch the call needs for a width × height mask.
size_t morphologyScratchBytes(int width, int height);

// src, dst (device): width × height bytes (nonzero = set; dst gets 0/1), any alignment (16-byte
// aligned rows are read and written with vector accesses). src == dst is allowed: src is fully
// read into scratch before dst is written. scratch: morphologyScratchBytes bytes, 4-byte aligned
// (cudaMalloc's alignment is plenty); it may be reused by the next call on the same stream.
// k < 1 is treated as 1 (the identity on 0/1). Five launches for open/close, three otherwise.
cudaError_t morphology(const uint8_t* src, uint8_t* dst, int width, int height, MorphOp op, int k, uint8_t* scratch,
                       cudaStream_t stream);

}  // namespace sam3clip::cuda
