// CUDA twin of morphology.cpp, on the same idea: rows are bit-packed (32 pixels per word), every
// pass is a dilation (erosion is the complement of the dilation of the complement, and pixels
// outside the image are 0 in both domains, i.e. neutral), and the k×k window is separable into a
// horizontal and a vertical pass. A 4K mask packs into about 1 MB, which stays in L2, so the
// cost is one read of the source bytes and one write of the result bytes; the passes between
// are cheap. Close with k = 5 is five launches: pack, H, V, H, V (the last writes the bytes).
//
// Each thread makes whole output words (one, or a short column of them in the vertical pass);
// there is no shared memory and there are no warp shuffles. Rows are walked in grid-stride loops,
// so masks taller than the 65535-block grid limit work. Close with k = 5 on 3840×2160: 120 words
// per row, 259 200 threads per pass.
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
  __device__ uint32_t* row(int y) const { return data + static_cast<size_t>(y) * words; }
};

// 1 in the high bit of each nonzero byte of v, gathered into the low 4 bits (byte i → bit i).
__device__ __forceinline__ uint32_t nonzeroNibble(uint32_t v) {
  const uint32_t high = (((v & 0x7f7f7f7fu) + 0x7f7f7f7fu) | v) & 0x80808080u;
  const uint32_t x = high >> 7;  // bits 0, 8, 16, 24
  return (x | (x >> 7) | (x >> 14) | (x >> 21)) & 0xfu;
}

// Bits 0..3 of n → bytes 0..3 of the result as 0/1 (the shifted copies of n do not overlap).
__device__ __forceinline__ uint32_t nibbleToBytes(uint32_t n) { return (n * 0x00204081u) & 0x01010101u; }

// One thread per word: 32 bytes → 32 bits, complemented (inside the width) for an erosion.
// Two 16-byte loads where the address allows it, else byte loads.
__global__ void packKernel(const uint8_t* src, Bits out, bool invert) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= out.words) return;
  const int x0 = 32 * j, n = min(32, out.width - x0);
  const uint32_t flip = invert ? 0xffffffffu : 0u, valid = out.validMask(j);
  for (int y = blockIdx.y; y < out.height; y += gridDim.y) {
    const uint8_t* p = src + static_cast<size_t>(y) * out.width + x0;
    uint32_t w = 0;
    if (n == 32 && (reinterpret_cast<uintptr_t>(p) & 15) == 0) {
      const uint4 a = reinterpret_cast<const uint4*>(p)[0], b = reinterpret_cast<const uint4*>(p)[1];
      w = nonzeroNibble(a.x) | nonzeroNibble(a.y) << 4 | nonzeroNibble(a.z) << 8 | nonzeroNibble(a.w) << 12 |
          nonzeroNibble(b.x) << 16 | nonzeroNibble(b.y) << 20 | nonzeroNibble(b.z) << 24 | nonzeroNibble(b.w) << 28;
    } else {
      for (int b = 0; b < n; b++) w |= static_cast<uint32_t>(p[b] != 0) << b;
    }
    out.row(y)[j] = (w ^ flip) & valid;
  }
}

// Bits [bit, bit + 32) of a packed row as one word; bits outside the row read as 0.
__device__ __forceinline__ uint32_t rowWordAt(const uint32_t* row, int words, long bit) {
  const long j = bit >> 5;  // arithmetic shift: floor division for negative bits
  const int s = static_cast<int>(bit & 31);
  const uint32_t lo = (j >= 0 && j < words) ? row[j] : 0u;
  const uint32_t hi = (j + 1 >= 0 && j + 1 < words) ? row[j + 1] : 0u;
  return s == 0 ? lo : (lo >> s) | (hi << (32 - s));
}

// Horizontal dilation of one word: bit b of the result = OR of row bits
// [32j + b - a, 32j + b - a + k - 1]. Whole 32-bit spans of the window cost O(1) each (the set
// bits of a span reach every output bit between its highest and its lowest set bit); the rest,
// under 32 shifts, is a doubling ladder on 64 bits. So any k costs about k/32 + 6 steps.
__device__ uint32_t dilateWord(const uint32_t* row, int words, int j, int k) {
  const long base = 32L * j - k / 2;
  uint32_t out = 0;
  int t = 0;
  for (; t + 32 <= k; t += 32) {
    // Shifts t .. t+31: bit b sees bits b..31 of v and bits 0..b-1 of next.
    const uint32_t v = rowWordAt(row, words, base + t), next = rowWordAt(row, words, base + t + 32);
    if (v) out |= 0xffffffffu >> __clz(v);  // bits 0..(highest set bit of v)
    if (next) {
      const int lowest = __ffs(next);  // 1-based
      if (lowest < 32) out |= 0xffffffffu << lowest;
    }
  }
  const int rest = k - t;  // 0..31 shifts t .. t+rest-1
  if (rest > 0) {
    uint64_t v = static_cast<uint64_t>(rowWordAt(row, words, base + t + 32)) << 32 | rowWordAt(row, words, base + t);
    int span = 1;
    for (; 2 * span <= rest; span *= 2) v |= v >> span;  // bit b = OR of bits b .. b+2*span-1
    v |= v >> (rest - span);                              // two spans of `span` cover `rest`
    out |= static_cast<uint32_t>(v);
  }
  return out;
}

// Horizontal pass: one thread per output word.
__global__ void horizontalKernel(Bits in, Bits out, int k) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= in.words) return;
  const uint32_t valid = out.validMask(j);
  for (int y = blockIdx.y; y < in.height; y += gridDim.y) out.row(y)[j] = dilateWord(in.row(y), in.words, j, k) & valid;
}

// Where the vertical pass writes: packed words (between passes) or the final 0/1 bytes.
struct Sink {
  Bits words;        // used when bytes == nullptr
  uint8_t* bytes;    // width × height, row-major
  uint32_t flip;     // XOR applied to the result (complement back from the erosion domain)

  __device__ void put(int y, int j, uint32_t w) const {
    const uint32_t valid = words.validMask(j);
    w = (w ^ flip) & valid;
    if (!bytes) {
      words.row(y)[j] = w;
      return;
    }
    uint8_t* p = bytes + static_cast<size_t>(y) * words.width + 32 * j;
    if (valid == 0xffffffffu && (reinterpret_cast<uintptr_t>(p) & 15) == 0) {
      uint4* q = reinterpret_cast<uint4*>(p);
      q[0] = make_uint4(nibbleToBytes(w & 15), nibbleToBytes(w >> 4 & 15), nibbleToBytes(w >> 8 & 15), nibbleToBytes(w >> 12 & 15));
      q[1] = make_uint4(nibbleToBytes(w >> 16 & 15), nibbleToBytes(w >> 20 & 15), nibbleToBytes(w >> 24 & 15), nibbleToBytes(w >> 28));
    } else {
      const int n = min(32, words.width - 32 * j);
      for (int b = 0; b < n; b++) p[b] = static_cast<uint8_t>(w >> b & 1u);
    }
  }
};

constexpr int kRowsPerThread = 8;

// OR of rows [r0, r1] of column j, rows outside the image being 0.
__device__ __forceinline__ uint32_t columnOr(const Bits& in, int j, int r0, int r1) {
  r0 = max(r0, 0);
  r1 = min(r1, in.height - 1);
  uint32_t w = 0;
  for (int r = r0; r <= r1; r++) w |= in.row(r)[j];
  return w;
}

// Vertical pass: out(y) = OR of in rows [y - a, y - a + k - 1]. Small k: one output row per
// thread, k loads each (cached: the packed plane is small). k >= kRowsPerThread: each thread makes
// R = kRowsPerThread consecutive rows of one word column; their windows share a core
// [s + R - 1, s + k - 1] (s = the first window's start), ORed once, and each row adds a suffix of
// the rows before the core and a prefix of the rows after it (van Herk/Gil-Werman in registers),
// so a thread reads k + 2R - 2 rows instead of R·k.
__global__ void verticalKernel(Bits in, Sink out, int k) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= in.words) return;
  constexpr int R = kRowsPerThread;
  const int rowsPerThread = k < R ? 1 : R;
  const int groups = (in.height + rowsPerThread - 1) / rowsPerThread;
  for (int g = blockIdx.y * blockDim.y + threadIdx.y; g < groups; g += gridDim.y * blockDim.y) {
    const int y0 = g * rowsPerThread, s = y0 - k / 2;
    if (k < R) {
      out.put(y0, j, columnOr(in, j, s, s + k - 1));
      continue;
    }
    const uint32_t core = columnOr(in, j, s + R - 1, s + k - 1);
    uint32_t before[R];  // before[i] = OR of rows s+i .. s+R-2
    before[R - 1] = 0;
#pragma unroll
    for (int i = R - 2; i >= 0; i--) before[i] = before[i + 1] | columnOr(in, j, s + i, s + i);
    uint32_t after = 0;  // OR of rows s+k .. s+k+i-1
#pragma unroll
    for (int i = 0; i < R; i++) {
      if (y0 + i < in.height) out.put(y0 + i, j, core | before[i] | after);
      after |= columnOr(in, j, s + k + i, s + k + i);
    }
  }
}

int wordsPerRow(int width) { return (width + 31) / 32; }

// Rows per launch in y: the grid-stride loops cover the rest.
unsigned gridRows(long rows) { return static_cast<unsigned>(rows < 65535 ? (rows > 0 ? rows : 1) : 65535); }

}  // namespace

size_t morphologyScratchBytes(int width, int height) {
  if (width <= 0 || height <= 0) return 0;
  return 2 * static_cast<size_t>(wordsPerRow(width)) * static_cast<size_t>(height) * sizeof(uint32_t);
}

cudaError_t morphology(const uint8_t* src, uint8_t* dst, int width, int height, MorphOp op, int k, uint8_t* scratch,
                       cudaStream_t stream) {
  if (width <= 0 || height <= 0) return cudaSuccess;
  if (k < 1) k = 1;
  const int words = wordsPerRow(width);
  auto* base = reinterpret_cast<uint32_t*>(scratch);
  Bits a{base, width, height, words};
  Bits b{base + static_cast<size_t>(words) * height, width, height, words};
  const dim3 rowBlock(128), rowGrid((words + 127) / 128, gridRows(height));
  const dim3 columnBlock(32, 8);
  const long groups = k < kRowsPerThread ? height : (height + kRowsPerThread - 1) / kRowsPerThread;
  const dim3 columnGrid((words + 31) / 32, gridRows((groups + 7) / 8));

  // Every step dilates `a`: a dilation as is, an erosion on the complement. The vertical pass
  // flips its result into the next step's domain (or back to the mask for the final bytes), as
  // the CPU version does. Close = dilate, erode; open = erode, dilate.
  const MorphOp first = (op == MorphOp::Erode || op == MorphOp::Open) ? MorphOp::Erode : MorphOp::Dilate;
  const int steps = (op == MorphOp::Open || op == MorphOp::Close) ? 2 : 1;
  packKernel<<<rowGrid, rowBlock, 0, stream>>>(src, a, first == MorphOp::Erode);
  for (int s = 0; s < steps; s++) {
    const bool erode = (s == 0) == (first == MorphOp::Erode);
    const bool last = s == steps - 1;
    horizontalKernel<<<rowGrid, rowBlock, 0, stream>>>(a, b, k);
    // The final bytes are complemented back after an erosion; between the two steps of a close
    // or an open the domain always changes (they alternate dilate and erode).
    const bool flip = last ? erode : true;
    const Sink sink{a, last ? dst : nullptr, flip ? 0xffffffffu : 0u};
    verticalKernel<<<columnGrid, columnBlock, 0, stream>>>(b, sink, k);
  }
  return cudaGetLastError();
}

}  // namespace sam3clip::cuda
