#include "trt_common.h"

#include <NvInferVersion.h>

#include <cstdio>

namespace sam3clip::trt {

void Logger::log(Severity severity, const char* msg) noexcept {
  if (severity <= Severity::kERROR) {
    std::lock_guard<std::mutex> lock(mutex_);
    lastError_ = msg;
  }
  if (verbose_ ? severity <= Severity::kINFO : severity <= Severity::kERROR)
    std::fprintf(stderr, "[TensorRT] %s\n", msg);
}

std::string Logger::takeLastError() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string error;
  error.swap(lastError_);
  return error;
}

std::string runtimeVersion() {
  // MAJOR * 10000 + MINOR * 100 + PATCH since TensorRT 10.
  const int32_t v = getInferLibVersion();
  return std::to_string(v / 10000) + "." + std::to_string((v / 100) % 100) + "." + std::to_string(v % 100);
}

std::string headerVersion() {
  return std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR) + "." +
         std::to_string(NV_TENSORRT_PATCH);
}

bool isLeanRuntime() {
#ifdef SAM3CLIP_TENSORRT_LEAN
  return true;
#else
  return false;
#endif
}

}  // namespace sam3clip::trt
