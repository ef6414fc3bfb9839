#include "cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define SAM3CLIP_X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace sam3clip {

const CpuFeatureField kCpuFeatureFields[] = {
    {"avx2", "avx2", &CpuFeatureSet::avx2},
    {"fma", "fma", &CpuFeatureSet::fma},
    {"avx512f", "avx512f", &CpuFeatureSet::avx512f},
    {"avx512bw", "avx512bw", &CpuFeatureSet::avx512bw},
    {"avx512vl", "avx512vl", &CpuFeatureSet::avx512vl},
    {"avx512Vnni", "avx512_vnni", &CpuFeatureSet::avx512Vnni},
    {"avx512Bf16", "avx512_bf16", &CpuFeatureSet::avx512Bf16},
    {"avx512Fp16", "avx512_fp16", &CpuFeatureSet::avx512Fp16},
    {"amxTile", "amx_tile", &CpuFeatureSet::amxTile},
    {"amxBf16", "amx_bf16", &CpuFeatureSet::amxBf16},
    {"amxInt8", "amx_int8", &CpuFeatureSet::amxInt8},
};
const size_t kCpuFeatureFieldCount = sizeof(kCpuFeatureFields) / sizeof(kCpuFeatureFields[0]);

namespace {

const char* archName() {
#if defined(__x86_64__) || defined(_M_X64)
  return "x64";
#elif defined(__i386__) || defined(_M_IX86)
  return "ia32";
#elif defined(__aarch64__) || defined(_M_ARM64)
  return "arm64";
#elif defined(__arm__) || defined(_M_ARM)
  return "arm";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loong64";
#else
  return "unknown";
#endif
}

#ifdef SAM3CLIP_X86

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

bool bit(uint32_t reg, int n) { return (reg >> n) & 1u; }

// One CPUID leaf; false (and zeros) where the CPU has no such leaf, which CPUID itself would not
// say: asked for a leaf past its highest, it answers with the highest one's data.
bool cpuid(uint32_t leaf, uint32_t subleaf, CpuidRegs& r) {
  r = CpuidRegs{};
#if defined(_MSC_VER) && !defined(__clang__)
  int out[4];
  __cpuidex(out, static_cast<int>(leaf & 0x80000000u), 0);
  if (static_cast<uint32_t>(out[0]) < leaf) return false;
  __cpuidex(out, static_cast<int>(leaf), static_cast<int>(subleaf));
  r = {static_cast<uint32_t>(out[0]), static_cast<uint32_t>(out[1]), static_cast<uint32_t>(out[2]),
       static_cast<uint32_t>(out[3])};
  return true;
#else
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) return false;  // it checks the highest leaf
  r = {a, b, c, d};
  return true;
#endif
}

// XCR0: the register states the OS saves and restores. XGETBV faults unless the OS set
// CR4.OSXSAVE, so callers check CPUID's OSXSAVE bit first.
uint64_t readXcr0() {
#if defined(_MSC_VER) && !defined(__clang__)
  return _xgetbv(0);
#else
  // The instruction, not the _xgetbv intrinsic: that one needs -mxsave for this whole file.
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

std::string trimmed(const char* text) {
  std::string s(text);
  const size_t first = s.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(' ') - first + 1);
}

void readVendorAndBrand(CpuFeatures& out) {
  CpuidRegs r;
  if (cpuid(0, 0, r)) {
    char vendor[13] = {};
    std::memcpy(vendor, &r.ebx, 4);  // the vendor is spelled across EBX, EDX, ECX, in that order
    std::memcpy(vendor + 4, &r.edx, 4);
    std::memcpy(vendor + 8, &r.ecx, 4);
    out.vendor = vendor;
  }
  char brand[49] = {};
  for (uint32_t i = 0; i < 3; i++) {
    if (!cpuid(0x80000002u + i, 0, r)) return;
    const uint32_t words[4] = {r.eax, r.ebx, r.ecx, r.edx};  // 16 characters per leaf, in this order
    std::memcpy(brand + 16 * i, words, sizeof(words));
  }
  out.brand = trimmed(brand);  // Intel pads it with leading spaces
}

CpuFeatureSet reportedFeatures() {
  CpuFeatureSet f;
  CpuidRegs leaf1, leaf7, leaf7s1;
  cpuid(1, 0, leaf1);
  if (cpuid(7, 0, leaf7) && leaf7.eax >= 1) cpuid(7, 1, leaf7s1);  // EAX: the highest sub-leaf
  f.fma = bit(leaf1.ecx, 12);
  f.avx2 = bit(leaf7.ebx, 5);
  f.avx512f = bit(leaf7.ebx, 16);
  f.avx512bw = bit(leaf7.ebx, 30);
  f.avx512vl = bit(leaf7.ebx, 31);
  f.avx512Vnni = bit(leaf7.ecx, 11);
  f.amxBf16 = bit(leaf7.edx, 22);
  f.avx512Fp16 = bit(leaf7.edx, 23);
  f.amxTile = bit(leaf7.edx, 24);
  f.amxInt8 = bit(leaf7.edx, 25);
  f.avx512Bf16 = bit(leaf7s1.eax, 5);
  return f;
}

// `reported` narrowed to what the OS lets a program use, and to what its prerequisites allow
// (an AVX-512 extension without AVX-512 F, AMX-BF16 without tiles, is not usable).
CpuFeatureSet usableFeatures(const CpuFeatureSet& reported) {
  CpuidRegs leaf1;
  cpuid(1, 0, leaf1);
  const bool osxsave = bit(leaf1.ecx, 27);
  const uint64_t xcr0 = osxsave ? readXcr0() : 0;
  constexpr uint64_t kAvxState = (1u << 1) | (1u << 2);                 // XMM, upper halves of YMM
  constexpr uint64_t kAvx512State = (1u << 5) | (1u << 6) | (1u << 7);   // opmask, upper ZMM, ZMM16-31
  constexpr uint64_t kAmxState = (1u << 17) | (1u << 18);               // tile config, tile data
  const bool avx = bit(leaf1.ecx, 28) && (xcr0 & kAvxState) == kAvxState;
#ifdef __APPLE__
  // macOS leaves the AVX-512 bits out of XCR0 until a thread first uses AVX-512, then enables
  // them for it; the state is supported wherever the CPU has AVX-512.
  const bool avx512 = avx;
#else
  const bool avx512 = (xcr0 & kAvx512State) == kAvx512State;
#endif
  const bool amx = (xcr0 & kAmxState) == kAmxState;

  CpuFeatureSet u;
  u.avx2 = reported.avx2 && avx;
  u.fma = reported.fma && avx;
  u.avx512f = reported.avx512f && avx && avx512;
  u.avx512bw = reported.avx512bw && u.avx512f;
  u.avx512vl = reported.avx512vl && u.avx512f;
  u.avx512Vnni = reported.avx512Vnni && u.avx512f;
  u.avx512Bf16 = reported.avx512Bf16 && u.avx512f;
  u.avx512Fp16 = reported.avx512Fp16 && u.avx512f;
  u.amxTile = reported.amxTile && amx;
  u.amxBf16 = reported.amxBf16 && u.amxTile;
  u.amxInt8 = reported.amxInt8 && u.amxTile;
  return u;
}

#endif  // SAM3CLIP_X86

}  // namespace

CpuFeatures detectCpuFeatures() {
  CpuFeatures out;
  out.arch = archName();
#ifdef SAM3CLIP_X86
  readVendorAndBrand(out);
  out.reported = reportedFeatures();
  out.usable = usableFeatures(out.reported);
#endif
  return out;
}

}  // namespace sam3clip
