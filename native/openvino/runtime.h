// The process-wide OpenVINO runtime: one ov::Core (thread-safe; it owns the loaded plugins), its
// version and what it says about the CPU.
#pragma once

#include <openvino/runtime/core.hpp>

#include <string>
#include <vector>

namespace sam3clip::openvino {

ov::Core& core();

// e.g. "2026.4.1-22982-…" (the build number of libopenvino that is loaded).
std::string runtimeVersion();

struct CpuDevice {
  std::string name;                       // ov::device::full_name, e.g. "Intel(R) Xeon(R) …"
  std::vector<std::string> capabilities;  // ov::device::capabilities, e.g. FP32, BF16, INT8
  // The best inference precision the CPU plugin offers here: "bf16" where it lists BF16
  // (AMX or AVX-512 BF16), else "f32".
  std::string bestPrecision;
};

CpuDevice cpuDevice();

}  // namespace sam3clip::openvino
