#include "morphology_cuda.h"

namespace sam3clip::cuda {
namespace {

// Bit-packed rows: `words` 32-bit words per row, bit b of word j = pixel 32*j + b. Bits past
// the width are always 0.
struct Bits {
  uint32_t* data;
  int width, height, words;
  __device__ uint32_t validMask(int j) const {
    const int rest = width - 32 * j;
    return rest >= 32 ? 0xffffffffu : (rest <= 0 ? 0u : (1u << rest) - 1u);
  }
};

// One thread per word: gathers 32 bytes (complemented for an erosion) into a word.
__global__ void packKernel(const uint8_t* src, Bits out, bool invert) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (j >= out.words) return;
  const uint8_t* row = src + static_cast<long>(y) * out.width;
  uint32_t w = 0;
  const int x0 = 32 * j, n = min(32, out.width - x0);
  for (int b = 0; b < n; b++) w |= static_cast<uint32_t>((row[x0 + b] != 0) != invert) << b;
  out.data[static_cast<long>(y) * out.words + j] = w;
}

__device__ uint32_t rowWordAt(const uint32_t* row, int words, long bit) {
  // Bits [bit, bit + 32) of the row as one word; out-of-row bits read as 0.
  const long j = bit >> 5;  // arithmetic shift: floor division for negatives
  const int s = static_cast<int>(bit & 31);
  const uint32_t lo = (j >= 0 && j < words) ? row[j] : 0u;
  const uint32_t hi = (j + 1 >= 0 && j + 1 < words) ? row[j + 1] : 0u;
  return s == 0 ? lo : (lo >> s) | (hi << (32 - s));
}

// Horizontal dilation: out(x) = OR of in(x + d), d in [-a, k - 1 - a]. With `invertIn` the input
// row is complemented (within the width) as it is read.
__global__ void horizontalKernel(Bits in, Bits out, int k, bool invertIn) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (j >= in.words) return;
  const uint32_t* row = in.data + static_cast<long>(y) * in.words;
  const int a = k / 2;
  uint32_t w = 0;
  if (!invertIn) {
    for (int d = -a; d <= k - 1 - a; d++) w |= rowWordAt(row, in.words, 32L * j + d);
  } else {
    for (int d = -a; d <= k - 1 - a; d++) {
      const long bit = 32L * j + d;
      // Complement only the bits inside the row: outside stays 0 (neutral for the dilation).
      uint32_t v = rowWordAt(row, in.words, bit);
      uint32_t inside = 0xffffffffu;
      if (bit < 0) inside &= -bit >= 32 ? 0u : 0xffffffffu << static_cast<int>(-bit);
      const long over = bit + 32 - in.width;
      if (over > 0) inside &= over >= 32 ? 0u : 0xffffffffu >> static_cast<int>(over);
      w |= ~v & inside;
    }
  }
  out.data[static_cast<long>(y) * out.words + j] = w & out.validMask(j);
}

// Vertical dilation: out(y) = OR of in(y + d) for rows inside the image.
__global__ void verticalKernel(Bits in, Bits out, int k) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (j >= in.words) return;
  const int a = k / 2;
  const int y0 = max(0, y - a), y1 = min(in.height - 1, y + k - 1 - a);
  uint32_t w = 0;
  for (int r = y0; r <= y1; r++) w |= in.data[static_cast<long>(r) * in.words + j];
  out.data[static_cast<long>(y) * out.words + j] = w;
}

// One thread per byte: bit → 0/1, complemented back for an erosion.
__global__ void unpackKernel(Bits in, uint8_t* dst, bool invert) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long>(in.width) * in.height) return;
  const int y = static_cast<int>(i / in.width), x = static_cast<int>(i % in.width);
  const uint32_t w = in.data[static_cast<long>(y) * in.words + (x >> 5)];
  dst[i] = static_cast<uint8_t>(((w >> (x & 31)) & 1u) != (invert ? 1u : 0u));
}

int wordsPerRow(int width) { return (width + 31) / 32; }

}  // namespace

size_t morphologyScratchBytes(int width, int height) {
  return 2 * static_cast<size_t>(wordsPerRow(width)) * static_cast<size_t>(height) * sizeof(uint32_t);
}

cudaError_t morphology(const uint8_t* src, uint8_t* dst, int width, int height, MorphOp op, int k, uint8_t* scratch,
                       cudaStream_t stream) {
  if (width <= 0 || height <= 0) return cudaSuccess;
  const int words = wordsPerRow(width);
  auto* base = reinterpret_cast<uint32_t*>(scratch);
  Bits a{base, width, height, words};
  Bits b{base + static_cast<size_t>(words) * height, width, height, words};
  const dim3 block(128), wordGrid((words + 127) / 128, height);
  const long pixels = static_cast<long>(width) * height;

  // Dilate = H then V on the bits; erode = the same on the complement, complemented back.
  // Close = dilate, erode; open = erode, dilate. Each step: a → (H) b → (V) a.
  const bool erodeFirst = op == MorphOp::Erode || op == MorphOp::Open;
  const int steps = (op == MorphOp::Open || op == MorphOp::Close) ? 2 : 1;
  packKernel<<<wordGrid, block, 0, stream>>>(src, a, erodeFirst);
  bool complemented = erodeFirst;  // whether `a` holds the complement of the current mask
  for (int s = 0; s < steps; s++) {
    const bool erode = (s == 0) == erodeFirst;
    // The pass works on the complement for an erosion: switch domains when needed on reading.
    const bool invertIn = erode != complemented;
    horizontalKernel<<<wordGrid, block, 0, stream>>>(a, b, k, invertIn);
    verticalKernel<<<wordGrid, block, 0, stream>>>(b, a, k);
    complemented = erode;
  }
  unpackKernel<<<static_cast<unsigned>((pixels + 255) / 256), 256, 0, stream>>>(a, dst, complemented);
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
