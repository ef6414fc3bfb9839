// The CPU's vector and matrix extensions, read from CPUID and XGETBV: what decides whether BF16
// inference (AMX, AVX-512 BF16) or the AVX-512/AVX2 kernels can run here.
#pragma once

#include <cstddef>
#include <string>

namespace sam3clip {

struct CpuFeatureSet {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512Vnni = false;
  bool avx512Bf16 = false;
  bool avx512Fp16 = false;
  bool amxTile = false;
  bool amxBf16 = false;
  bool amxInt8 = false;
};

struct CpuFeatures {
  // Named as Node's process.arch names it ("x64", "arm64", …), so the two compare directly.
  std::string arch;
  // CPUID's vendor ("GenuineIntel", "AuthenticAMD") and brand string; empty off x86.
  std::string vendor;
  std::string brand;
  // What CPUID says the processor implements.
  CpuFeatureSet reported;
  // Those of `reported` whose registers the OS saves on a context switch (XCR0), so that a
  // program may use them. This is the set that matters. On Linux a process still asks the
  // kernel for permission before its first AMX instruction (OpenVINO does so itself).
  CpuFeatureSet usable;
};

// Reads the features of the CPU this runs on; all false on architectures other than x86.
CpuFeatures detectCpuFeatures();

// Every feature by name: the camelCase name capabilities() gives it and the flag Linux's
// /proc/cpuinfo lists it under, so callers and tests can walk the set instead of naming fields.
struct CpuFeatureField {
  const char* name;
  const char* linuxFlag;
  bool CpuFeatureSet::* member;
};

extern const CpuFeatureField kCpuFeatureFields[];
extern const size_t kCpuFeatureFieldCount;

}  // namespace sam3clip
