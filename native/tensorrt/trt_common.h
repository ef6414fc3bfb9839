// Shared pieces of the TensorRT code: the failure type every entry point throws, the logger that
// keeps TensorRT's last error for the message, and version strings. Compiles against the
// TensorRT 10.x and 11.x headers; version differences are branched on NV_TENSORRT_MAJOR here
// and in engine_builder.cpp only.
#pragma once
#include <NvInfer.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace sam3clip::trt {

// A failure with a stable code for JavaScript: E_ENGINE_MISMATCH (engine does not fit this
// package, GPU or TensorRT), E_TENSORRT (TensorRT refused an operation), E_GPU_OOM, E_CUDA,
// E_INVALID_OPTION (caller error caught natively), E_MODEL_FILE (ONNX the parser rejects).
struct TrtFailure : std::runtime_error {
  std::string code;
  TrtFailure(std::string c, const std::string& message) : std::runtime_error(message), code(std::move(c)) {}
};

// Forwards warnings and errors to stderr (when verbose) and keeps the last error, so a failed
// call can say why instead of only "returned null".
class Logger : public nvinfer1::ILogger {
 public:
  explicit Logger(bool verbose = false) : verbose_(verbose) {}
  void log(Severity severity, const char* msg) noexcept override;
  std::string takeLastError();

 private:
  bool verbose_;
  std::mutex mutex_;
  std::string lastError_;
};

// TensorRT objects are released with delete since TensorRT 10.
template <typename T>
using TrtPtr = std::unique_ptr<T>;

// "11.1.0": the version of the TensorRT library loaded at run time (getInferLibVersion()).
std::string runtimeVersion();
// The version of the headers this code was compiled against.
std::string headerVersion();
// True when linked against the lean runtime (libnvinfer_lean), which runs only
// version-compatible engines.
bool isLeanRuntime();

// Throws TrtFailure(code, what + ": " + the logger's last error) when ptr is null.
template <typename T>
T* require(T* ptr, Logger& logger, const char* code, const std::string& what) {
  if (!ptr) {
    std::string detail = logger.takeLastError();
    throw TrtFailure(code, detail.empty() ? what : what + ": " + detail);
  }
  return ptr;
}

}  // namespace sam3clip::trt
