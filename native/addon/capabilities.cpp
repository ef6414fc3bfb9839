// capabilities(): what this build of the addon can accelerate, and what it sees.
//   cuda: null in builds without CUDA; else { runtimeVersion, devices: [...] } (devices is empty,
//         not an error, where no driver or GPU is present: cudart is linked statically).
//   tensorrt: null in builds without TensorRT; else { version, headerVersion, lean }.
//   cpu: { arch, vendor, brand, features: { avx2, fma, avx512f, …, amxInt8 } }, each feature
//        true where the CPU has it and the OS enables it (native/core/cpu_features.h).
#include "bindings.h"

#include "cpu_features.h"

#ifdef SAM3CLIP_HAS_CUDA
#include <cuda_runtime_api.h>

#include <string>
#endif

namespace sam3clip::addon {
namespace {

#ifdef SAM3CLIP_HAS_CUDA
Napi::Value cudaCapability(Napi::Env env) {
  Napi::Object cuda = Napi::Object::New(env);
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);  // e.g. 13050 → "13.5"
  cuda.Set("runtimeVersion", std::to_string(runtime / 1000) + "." + std::to_string((runtime % 1000) / 10));
  Napi::Array devices = Napi::Array::New(env);
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    count = 0;
    cudaGetLastError();  // "no driver" must not linger as the thread's last error
  }
  for (int i = 0; i < count; i++) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    Napi::Object d = Napi::Object::New(env);
    d.Set("index", i);
    d.Set("name", prop.name);
    d.Set("computeCapability", std::to_string(prop.major) + "." + std::to_string(prop.minor));
    d.Set("totalMemoryBytes", static_cast<double>(prop.totalGlobalMem));
    devices.Set(devices.Length(), d);
  }
  cuda.Set("devices", devices);
  return cuda;
}
#endif

Napi::Value cpuCapability(Napi::Env env) {
  const CpuFeatures cpu = detectCpuFeatures();
  Napi::Object out = Napi::Object::New(env);
  out.Set("arch", cpu.arch);
  out.Set("vendor", cpu.vendor);
  out.Set("brand", cpu.brand);
  Napi::Object features = Napi::Object::New(env);
  for (size_t i = 0; i < kCpuFeatureFieldCount; i++)
    features.Set(kCpuFeatureFields[i].name, cpu.usable.*kCpuFeatureFields[i].member);
  out.Set("features", features);
  return out;
}

Napi::Value capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object caps = Napi::Object::New(env);
#ifdef SAM3CLIP_HAS_CUDA
  caps.Set("cuda", cudaCapability(env));
#else
  caps.Set("cuda", env.Null());
#endif
#ifdef SAM3CLIP_HAS_TENSORRT
  caps.Set("tensorrt", tensorRtCapability(env));
#else
  caps.Set("tensorrt", env.Null());
#endif
  caps.Set("cpu", cpuCapability(env));
  return caps;
}

}  // namespace

void initCapabilities(Napi::Env env, Napi::Object exports) {
  exports.Set("capabilities", Napi::Function::New(env, capabilities, "capabilities"));
}

}  // namespace sam3clip::addon
