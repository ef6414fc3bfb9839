// Builds one TensorRT engine from one ONNX graph of a model package (used by the
// sam3clip_engine_builder tool that `npm run build-engines` drives).
#pragma once
#include <NvInfer.h>

#include <functional>
#include <string>
#include <vector>

namespace sam3clip::trt {

enum class Precision { Fp32, Fp16 };

// Min/opt/max shapes of one dynamic input (the prompt batch axis).
struct ShapeProfile {
  std::string input;
  nvinfer1::Dims min, opt, max;
};

struct BuildRequest {
  std::string onnxPath;
  std::string enginePath;
  std::string timingCachePath;  // read if present, written back after the build; empty: none
  size_t workspaceMiB = 4096;
  Precision precision = Precision::Fp16;       // what the engine should compute in
  Precision graphPrecision = Precision::Fp32;  // what the ONNX graph carries
  bool versionCompatible = false;              // runnable by the lean runtime of later versions
  std::vector<ShapeProfile> profiles;
};

struct BuildReport {
  std::string tensorrtVersion;
  size_t engineBytes = 0;
  bool stronglyTyped = false;
};

// Receives build progress: phase name, step, steps in the phase (-1 when the phase ends).
using ProgressSink = std::function<void(const std::string& phase, int step, int steps)>;

// Throws TrtFailure: E_MODEL_FILE (unreadable or unparsable ONNX), E_INVALID_OPTION (a
// precision this TensorRT cannot build from this graph), E_TENSORRT (build failed), E_GPU_OOM.
BuildReport buildEngine(const BuildRequest& request, const ProgressSink& progress);

}  // namespace sam3clip::trt
