#include "runtime.h"

#include <openvino/core/version.hpp>

#include <algorithm>

namespace sam3clip::openvino {

ov::Core& core() {
  // Never destroyed: plugins must not unload while a worker thread of another addon instance or
  // a pending finalizer may still hold a tensor they allocated.
  static ov::Core* instance = new ov::Core();
  return *instance;
}

std::string runtimeVersion() {
  const ov::Version v = ov::get_openvino_version();
  return v.buildNumber ? std::string(v.buildNumber) : std::string();
}

CpuDevice cpuDevice() {
  CpuDevice device;
  device.name = core().get_property("CPU", ov::device::full_name);
  device.capabilities = core().get_property("CPU", ov::device::capabilities);
  const bool bf16 = std::find(device.capabilities.begin(), device.capabilities.end(), ov::device::capability::BF16) !=
                    device.capabilities.end();
  device.bestPrecision = bf16 ? "bf16" : "f32";
  return device;
}

}  // namespace sam3clip::openvino
