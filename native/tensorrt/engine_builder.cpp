#include "engine_builder.h"

#include <NvOnnxParser.h>

#include <fstream>
#include <iterator>

#include "progress_monitor.h"
#include "trt_common.h"

// TensorRT 10 deprecates the weak-typing flags (kFP16, precision constraints) that 11 removes;
// using them on 10.x is deliberate, so their deprecation warnings are silenced here only.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

namespace sam3clip::trt {
namespace {

std::vector<char> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFile(const std::string& path, const void* data, size_t size, const char* what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) throw TrtFailure("E_TENSORRT", std::string("could not write the ") + what + " to " + path);
}

#if NV_TENSORRT_MAJOR < 11
// Weakly typed FP16 on TensorRT 10: layers that overflow in half precision (normalization,
// softmax, reductions and the pow/div of decomposed LayerNorms) stay in FP32.
void keepSensitiveLayersInFp32(nvinfer1::INetworkDefinition& network) {
  using nvinfer1::LayerType;
  for (int32_t i = 0; i < network.getNbLayers(); i++) {
    nvinfer1::ILayer* layer = network.getLayer(i);
    const LayerType type = layer->getType();
    bool sensitive = type == LayerType::kNORMALIZATION || type == LayerType::kSOFTMAX || type == LayerType::kREDUCE;
    if (type == LayerType::kELEMENTWISE) {
      auto op = static_cast<nvinfer1::IElementWiseLayer*>(layer)->getOperation();
      sensitive = op == nvinfer1::ElementWiseOperation::kPOW;
    }
    if (!sensitive) continue;
    layer->setPrecision(nvinfer1::DataType::kFLOAT);
    for (int32_t o = 0; o < layer->getNbOutputs(); o++) layer->setOutputType(o, nvinfer1::DataType::kFLOAT);
  }
}
#endif

}  // namespace

BuildReport buildEngine(const BuildRequest& request, const ProgressSink& progress) {
  Logger logger;
  TrtPtr<nvinfer1::IBuilder> builder(
      require(nvinfer1::createInferBuilder(logger), logger, "E_TENSORRT", "could not create the TensorRT builder"));

  // FP16 comes from the graph (strong typing) whenever the graph carries it. TensorRT 11 only
  // builds strongly typed networks, so there an FP32 graph can only give an FP32 engine.
  const bool graphFp16 = request.graphPrecision == Precision::Fp16;
  if (graphFp16 && request.precision == Precision::Fp32)
    throw TrtFailure("E_INVALID_OPTION", "the graph is FP16; an FP32 engine needs the FP32 export (--precision fp32)");
#if NV_TENSORRT_MAJOR >= 11
  const bool stronglyTyped = true;
  if (request.precision == Precision::Fp16 && !graphFp16)
    throw TrtFailure("E_INVALID_OPTION",
                     "TensorRT " + headerVersion() +
                         " builds FP16 engines only from FP16 graphs (strong typing): export the package with "
                         "--precision fp16, or build with --precision fp32");
  const uint32_t networkFlags = 0;
#else
  const bool stronglyTyped = graphFp16;
  const uint32_t networkFlags =
      stronglyTyped ? 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED) : 0U;
#endif

  TrtPtr<nvinfer1::INetworkDefinition> network(
      require(builder->createNetworkV2(networkFlags), logger, "E_TENSORRT", "could not create the network"));
  TrtPtr<nvonnxparser::IParser> parser(
      require(nvonnxparser::createParser(*network, logger), logger, "E_TENSORRT", "could not create the ONNX parser"));
  if (!parser->parseFromFile(request.onnxPath.c_str(), static_cast<int>(nvinfer1::ILogger::Severity::kWARNING))) {
    std::string detail;
    for (int32_t i = 0; i < parser->getNbErrors(); i++) detail += std::string("\n  ") + parser->getError(i)->desc();
    throw TrtFailure("E_MODEL_FILE", "TensorRT could not parse " + request.onnxPath + ":" + detail);
  }

  TrtPtr<nvinfer1::IBuilderConfig> config(
      require(builder->createBuilderConfig(), logger, "E_TENSORRT", "could not create the builder config"));
  config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, request.workspaceMiB << 20);
#if NV_TENSORRT_MAJOR < 11
  if (request.precision == Precision::Fp16 && !stronglyTyped) {
    config->setFlag(nvinfer1::BuilderFlag::kFP16);
    config->setFlag(nvinfer1::BuilderFlag::kOBEY_PRECISION_CONSTRAINTS);
    keepSensitiveLayersInFp32(*network);
  }
#endif
  if (request.versionCompatible) {
    config->setFlag(nvinfer1::BuilderFlag::kVERSION_COMPATIBLE);
    config->setFlag(nvinfer1::BuilderFlag::kEXCLUDE_LEAN_RUNTIME);
  }

  if (!request.profiles.empty()) {
    nvinfer1::IOptimizationProfile* profile =
        require(builder->createOptimizationProfile(), logger, "E_TENSORRT", "could not create an optimization profile");
    for (const ShapeProfile& p : request.profiles) {
      bool ok = profile->setDimensions(p.input.c_str(), nvinfer1::OptProfileSelector::kMIN, p.min) &&
                profile->setDimensions(p.input.c_str(), nvinfer1::OptProfileSelector::kOPT, p.opt) &&
                profile->setDimensions(p.input.c_str(), nvinfer1::OptProfileSelector::kMAX, p.max);
      if (!ok) throw TrtFailure("E_INVALID_OPTION", "invalid optimization profile for input " + p.input);
    }
    config->addOptimizationProfile(profile);
  }

  // The timing cache makes rebuilds (another package, another precision) take seconds, not minutes.
  TrtPtr<nvinfer1::ITimingCache> cache;
  if (!request.timingCachePath.empty()) {
    std::vector<char> blob = readFile(request.timingCachePath);
    cache.reset(config->createTimingCache(blob.data(), blob.size()));
    if (!cache && !blob.empty()) cache.reset(config->createTimingCache(nullptr, 0));  // stale cache: start fresh
    if (cache) config->setTimingCache(*cache, /*ignoreMismatch=*/false);
  }

  ProgressMonitor monitor(progress);
  config->setProgressMonitor(&monitor);

  TrtPtr<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
  config->setProgressMonitor(nullptr);
  if (!plan || plan->size() == 0) {
    std::string detail = logger.takeLastError();
    const bool oom = detail.find("out of memory") != std::string::npos || detail.find("OutOfMemory") != std::string::npos;
    throw TrtFailure(oom ? "E_GPU_OOM" : "E_TENSORRT",
                     "TensorRT could not build " + request.onnxPath + (detail.empty() ? "" : ": " + detail));
  }
  writeFile(request.enginePath, plan->data(), plan->size(), "engine");
  if (cache && !request.timingCachePath.empty()) {
    TrtPtr<nvinfer1::IHostMemory> serialized(config->getTimingCache()->serialize());
    if (serialized) writeFile(request.timingCachePath, serialized->data(), serialized->size(), "timing cache");
  }
  return BuildReport{runtimeVersion(), plan->size(), stronglyTyped};
}

}  // namespace sam3clip::trt
