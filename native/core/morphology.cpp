// Fast path: rows are packed 64 pixels to a word, so one word operation covers 64 pixels and a
// 4K mask shrinks to about 1 MB that stays in cache. Only dilation is implemented on the packed
// form: erode(m) = ~dilate(~m) over the same window, and since the complement's outside is 0
// this keeps OpenCV's "the border never matters" rule for erosion too.
//
// Dilation is separable (a k×k max is a 1×k max of a k×1 max):
//  - vertically, van Herk/Gil-Werman block prefix/suffix ORs: three word ORs per word for any k;
//  - horizontally, a doubling ladder of shifted ORs within each packed row: floor(log2 k) + 2
//    word ops per 64 pixels (at most 9 for k <= 255), which on 64-pixel words costs less than
//    byte-wise van Herk scans would; measured time is flat in k.
#include "morphology.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pack/unpack below assume a little-endian target"
#endif

namespace sam3clip {

bool parseMorphOp(std::string_view name, MorphOp& op) {
  if (name == "dilate") op = MorphOp::Dilate;
  else if (name == "erode") op = MorphOp::Erode;
  else if (name == "open") op = MorphOp::Open;
  else if (name == "close") op = MorphOp::Close;
  else return false;
  return true;
}

namespace {

struct PackedMask {
  int width = 0, height = 0;
  size_t words = 0;           // words per row
  uint64_t* bits = nullptr;   // height * words; bits past `width` are always 0
  uint64_t* temp = nullptr;   // same size, the horizontal pass output
  uint64_t tailMask = ~0ull;  // valid bits of each row's last word
};

// Word storage kept per thread between calls: fresh megabytes would be page-faulted in on every
// call, which costs as much as the morphology itself on a 4K mask. Kept only up to 8 MiB.
class Scratch {
 public:
  uint64_t* get(size_t words) {
    if (store_.size() < words) store_.resize(words);
    return store_.data();
  }
  void release() {
    if (store_.size() > kKeepWords) std::vector<uint64_t>().swap(store_);
  }

 private:
  static constexpr size_t kKeepWords = (8u << 20) / sizeof(uint64_t);
  std::vector<uint64_t> store_;
};
thread_local Scratch scratch;

// 64 bytes (0 / nonzero) → one word, byte j → bit j.
inline uint64_t packWord(const uint8_t* p) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  uint64_t word = 0;
  for (int c = 0; c < 4; c++) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * c));
    const unsigned isZero = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
    word |= static_cast<uint64_t>(~isZero & 0xffffu) << (16 * c);
  }
  return word;
#else
  uint64_t word = 0;
  for (int c = 0; c < 8; c++) {
    uint64_t v;
    std::memcpy(&v, p + 8 * c, 8);
    // Fold each byte onto its low bit (nonzero → 1); bits leaking from the next byte only reach
    // the high bits, which the mask drops. The multiply then gathers byte j's low bit into
    // bit 56 + j without carries.
    v |= v >> 4;
    v |= v >> 2;
    v |= v >> 1;
    v &= 0x0101010101010101ull;
    word |= ((v * 0x0102040810204080ull) >> 56) << (8 * c);
  }
  return word;
#endif
}

// One word → 64 bytes of 0/1.
inline void unpackWord(uint64_t word, uint8_t* d) {
#if defined(__SSE2__)
  // Spread each byte of bits over 8 lanes, keep lane j's bit j, then clamp to 0/1.
  const __m128i select = _mm_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  const __m128i one = _mm_set1_epi8(1);
  for (int c = 0; c < 4; c++) {
    const uint64_t lo = (word >> (16 * c)) & 0xff, hi = (word >> (16 * c + 8)) & 0xff;
    const __m128i spread = _mm_set_epi64x(static_cast<long long>(hi * 0x0101010101010101ull),
                                          static_cast<long long>(lo * 0x0101010101010101ull));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 16 * c), _mm_min_epu8(_mm_and_si128(spread, select), one));
  }
#else
  for (int c = 0; c < 8; c++) {
    const uint64_t v = (((word >> (8 * c)) & 0xff) * 0x0101010101010101ull) & 0x8040201008040201ull;
    // Each byte now holds 0 or one bit: adding 0x7f sets its top bit exactly when it is nonzero.
    const uint64_t bytes = ((v + 0x7f7f7f7f7f7f7f7full) >> 7) & 0x0101010101010101ull;
    std::memcpy(d + 8 * c, &bytes, 8);
  }
#endif
}

// Packs src into m.bits; with `complement`, packs the inverted mask.
void pack(const uint8_t* src, PackedMask& m, bool complement) {
  const int w = m.width;
  const uint64_t flip = complement ? ~0ull : 0;
  for (int y = 0; y < m.height; y++) {
    const uint8_t* s = src + static_cast<size_t>(y) * w;
    uint64_t* d = m.bits + y * m.words;
    int x = 0;
    for (; x + 64 <= w; x += 64) *d++ = packWord(s + x) ^ flip;
    if (x < w) {
      uint64_t word = 0;
      for (int b = 0; x + b < w; b++)
        if (s[x + b]) word |= 1ull << b;
      *d = (word ^ flip) & m.tailMask;
    }
  }
}

// Writes m.bits (inverted with `complement`) as 0/1 bytes.
void unpack(const PackedMask& m, uint8_t* dst, bool complement) {
  const int w = m.width;
  const uint64_t flip = complement ? ~0ull : 0;
  for (int y = 0; y < m.height; y++) {
    uint8_t* d = dst + static_cast<size_t>(y) * w;
    const uint64_t* s = m.bits + y * m.words;
    int x = 0;
    for (; x + 64 <= w; x += 64) unpackWord(*s++ ^ flip, d + x);
    if (x < w) {
      const uint64_t word = *s ^ flip;
      for (int b = 0; x + b < w; b++) d[x + b] = static_cast<uint8_t>(word >> b & 1);
    }
  }
}

// dst[i] |= the 64 bits of src starting at bit 64*i + offset (offset >= 0 relative to src).
// Reads only ahead of i, so dst == src works in place.
inline void orShifted(uint64_t* dst, const uint64_t* src, size_t n, size_t offset) {
  const uint64_t* s = src + (offset >> 6);
  const unsigned r = offset & 63;
  if (r == 0) {
    for (size_t i = 0; i < n; i++) dst[i] |= s[i];
  } else {
    for (size_t i = 0; i < n; i++) dst[i] |= (s[i] >> r) | (s[i + 1] << (64 - r));
  }
}

// Row-wise: out[x] = OR of in[x - a .. x - a + k - 1], a = k / 2.
void dilateHorizontal(PackedMask& m, int k) {
  const int a = k / 2;
  const size_t n = m.words;
  const size_t pad = static_cast<size_t>(k) / 64 + 3;  // zero words each side: no bounds checks
  std::vector<uint64_t> buf(n + 2 * pad);
  for (int y = 0; y < m.height; y++) {
    const uint64_t* in = m.bits + y * n;
    std::fill(buf.begin(), buf.begin() + pad, 0);  // the ladder below fills the left pad
    std::memcpy(buf.data() + pad, in, n * sizeof(uint64_t));
    // After the step-s rung, buf[x] = OR of in[x .. x + 2s - 1]. Words at and past pad + n stay 0,
    // which is exact: nothing right of the image is set. Left-pad words become live and are needed.
    int span = 1;
    for (; span * 2 <= k; span *= 2) orShifted(buf.data(), buf.data(), pad + n, static_cast<size_t>(span));
    // Two overlapping spans of length `span` cover the window of k: [x - a, ...] and [..., x - a + k - 1].
    uint64_t* out = m.temp + y * n;
    std::memset(out, 0, n * sizeof(uint64_t));
    const size_t base = pad * 64;
    orShifted(out, buf.data(), n, base - a);
    orShifted(out, buf.data(), n, base - a + (k - span));
    out[n - 1] &= m.tailMask;
  }
}

// Column-wise van Herk/Gil-Werman: windows start at rows s = -a, -a+1, ...; cut the start rows into
// blocks of k. A window starting at offset o in a block is the block's suffix from o OR the next
// block's prefix up to o - 1.
void dilateVertical(PackedMask& m, int k, bool complement) {
  const uint64_t flip = complement ? ~0ull : 0;
  const int a = k / 2;
  const int h = m.height;
  const size_t n = m.words;
  const std::vector<uint64_t> zero(n, 0);
  std::vector<uint64_t> suffix(static_cast<size_t>(k) * n), prefix(static_cast<size_t>(k) * n);
  auto row = [&](long r) { return (r < 0 || r >= h) ? zero.data() : m.temp + r * n; };
  for (long start = -a; start <= h - 1 - a; start += k) {
    const int count = static_cast<int>(std::min<long>(k, h - a - start));  // windows in this block
    std::memcpy(&suffix[(k - 1) * n], row(start + k - 1), n * sizeof(uint64_t));
    for (int j = k - 2; j >= 0; j--) {
      const uint64_t* r = row(start + j);
      const uint64_t* next = &suffix[(j + 1) * n];
      uint64_t* cur = &suffix[j * n];
      for (size_t i = 0; i < n; i++) cur[i] = r[i] | next[i];
    }
    for (int j = 0; j + 1 < count; j++) {
      const uint64_t* r = row(start + k + j);
      uint64_t* cur = &prefix[j * n];
      if (j == 0) {
        std::memcpy(cur, r, n * sizeof(uint64_t));
      } else {
        const uint64_t* prev = &prefix[(j - 1) * n];
        for (size_t i = 0; i < n; i++) cur[i] = r[i] | prev[i];
      }
    }
    for (int o = 0; o < count; o++) {
      uint64_t* out = m.bits + (start + o + a) * n;
      const uint64_t* s = &suffix[o * n];
      if (o == 0) {
        for (size_t i = 0; i < n; i++) out[i] = s[i] ^ flip;
      } else {
        const uint64_t* p = &prefix[(o - 1) * n];
        for (size_t i = 0; i < n; i++) out[i] = (s[i] | p[i]) ^ flip;
      }
      out[n - 1] &= m.tailMask;
    }
  }
}

// With `complement`, stores the complement of the dilation (the next pass erodes).
void dilate(PackedMask& m, int k, bool complement) {
  dilateHorizontal(m, k);
  dilateVertical(m, k, complement);
}

}  // namespace

void morphology(const uint8_t* src, uint8_t* dst, int width, int height, MorphOp op, int k) {
  if (width <= 0 || height <= 0) return;
  if (k <= 1) {  // a 1×1 window is the identity
    const size_t total = static_cast<size_t>(width) * height;
    for (size_t i = 0; i < total; i++) dst[i] = src[i] != 0;
    return;
  }
  PackedMask m;
  m.width = width;
  m.height = height;
  m.words = (static_cast<size_t>(width) + 63) / 64;
  const size_t plane = m.words * height;
  m.bits = scratch.get(2 * plane);  // every word is written before it is read
  m.temp = m.bits + plane;
  if (width % 64) m.tailMask = (1ull << (width % 64)) - 1;
  // Every pass is a dilation; erosion works on the complement, which is flipped on the way in,
  // between passes, or on the way out.
  switch (op) {
    case MorphOp::Dilate:
      pack(src, m, false);
      dilate(m, k, false);
      unpack(m, dst, false);
      break;
    case MorphOp::Erode:
      pack(src, m, true);
      dilate(m, k, false);
      unpack(m, dst, true);
      break;
    case MorphOp::Open:
      pack(src, m, true);
      dilate(m, k, true);
      dilate(m, k, false);
      unpack(m, dst, false);
      break;
    case MorphOp::Close:
      pack(src, m, false);
      dilate(m, k, true);
      dilate(m, k, false);
      unpack(m, dst, true);
      break;
  }
  scratch.release();
}

}  // namespace sam3clip
