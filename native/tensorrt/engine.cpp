#include "engine.h"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace sam3clip::trt {
namespace {

const char* typeName(nvinfer1::DataType t) {
  switch (t) {
    case nvinfer1::DataType::kFLOAT: return "float32";
    case nvinfer1::DataType::kHALF: return "float16";
    case nvinfer1::DataType::kINT32: return "int32";
    case nvinfer1::DataType::kINT64: return "int64";
    case nvinfer1::DataType::kBOOL: return "bool";
    case nvinfer1::DataType::kUINT8: return "uint8";
    default: return "another type";
  }
}

std::string dimsText(const nvinfer1::Dims& d) {
  std::string s = "[";
  for (int32_t i = 0; i < d.nbDims; i++) s += (i ? "," : "") + std::to_string(d.d[i]);
  return s + "]";
}

}  // namespace

Engine::Engine(nvinfer1::IRuntime& runtime, Logger& logger, const std::string& path, const std::vector<TensorSpec>& inputs,
               const std::vector<TensorSpec>& outputs, const std::string& rebuildHint)
    : logger_(logger), path_(path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TrtFailure("E_ENGINE_MISMATCH", "engine file " + path + " is missing or unreadable. " + rebuildHint);
  std::vector<char> plan((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  engine_.reset(runtime.deserializeCudaEngine(plan.data(), plan.size()));
  if (!engine_) {
    std::string detail = logger.takeLastError();
    throw TrtFailure("E_ENGINE_MISMATCH", "TensorRT " + runtimeVersion() + " cannot load " + path +
                                              (detail.empty() ? "" : " (" + detail + ")") + ". " + rebuildHint);
  }
  const int32_t expected = static_cast<int32_t>(inputs.size() + outputs.size());
  if (engine_->getNbIOTensors() != expected)
    throw TrtFailure("E_ENGINE_MISMATCH", path + " has " + std::to_string(engine_->getNbIOTensors()) + " tensors, expected " +
                                              std::to_string(expected) + ". " + rebuildHint);
  for (const TensorSpec& s : inputs) checkTensor(s, true, rebuildHint);
  for (const TensorSpec& s : outputs) checkTensor(s, false, rebuildHint);
  context_.reset(require(engine_->createExecutionContext(), logger, "E_GPU_OOM", "could not create a context for " + path));
}

void Engine::checkTensor(const TensorSpec& spec, bool input, const std::string& rebuildHint) {
  const char* name = spec.name.c_str();
  const auto mode = engine_->getTensorIOMode(name);
  const auto wanted = input ? nvinfer1::TensorIOMode::kINPUT : nvinfer1::TensorIOMode::kOUTPUT;
  if (mode != wanted)
    throw TrtFailure("E_ENGINE_MISMATCH", path_ + " has no " + (input ? "input " : "output ") + spec.name + ". " + rebuildHint);
  if (engine_->getTensorDataType(name) != spec.type)
    throw TrtFailure("E_ENGINE_MISMATCH", path_ + ": " + spec.name + " is " + typeName(engine_->getTensorDataType(name)) +
                                              ", expected " + typeName(spec.type) + ". " + rebuildHint);
  const nvinfer1::Dims dims = engine_->getTensorShape(name);
  bool same = dims.nbDims == static_cast<int32_t>(spec.dims.size());
  for (int32_t i = 0; same && i < dims.nbDims; i++) same = spec.dims[i] == -1 || dims.d[i] == spec.dims[i];
  if (!same) {
    std::string want = "[";
    for (size_t i = 0; i < spec.dims.size(); i++) want += (i ? "," : "") + std::to_string(spec.dims[i]);
    throw TrtFailure("E_ENGINE_MISMATCH", path_ + ": " + spec.name + " is " + dimsText(dims) + ", expected " + want + "]. " + rebuildHint);
  }
  if (input && dims.nbDims > 0 && dims.d[0] == -1) {
    const nvinfer1::Dims max = engine_->getProfileShape(name, 0, nvinfer1::OptProfileSelector::kMAX);
    if (max.nbDims > 0) maxBatch_ = static_cast<int>(max.d[0]);
  }
}

bool Engine::hasTensor(const std::string& name) const {
  return engine_->getTensorIOMode(name.c_str()) != nvinfer1::TensorIOMode::kNONE;
}

std::pair<int64_t, int64_t> Engine::profileRange(const std::string& name, int axis) const {
  const nvinfer1::Dims dims = engine_->getTensorShape(name.c_str());
  if (axis < 0 || axis >= dims.nbDims) return {0, 0};
  if (dims.d[axis] != -1) return {dims.d[axis], dims.d[axis]};
  const nvinfer1::Dims min = engine_->getProfileShape(name.c_str(), 0, nvinfer1::OptProfileSelector::kMIN);
  const nvinfer1::Dims max = engine_->getProfileShape(name.c_str(), 0, nvinfer1::OptProfileSelector::kMAX);
  if (axis >= min.nbDims || axis >= max.nbDims) return {0, 0};
  return {min.d[axis], max.d[axis]};
}

std::vector<int64_t> Engine::shape(const std::string& name) const {
  const nvinfer1::Dims d = context_->getTensorShape(name.c_str());
  return std::vector<int64_t>(d.d, d.d + std::max<int32_t>(d.nbDims, 0));
}

void Engine::setInputShape(const std::string& name, const std::vector<int64_t>& dims) {
  nvinfer1::Dims d{};
  d.nbDims = static_cast<int32_t>(dims.size());
  for (size_t i = 0; i < dims.size(); i++) d.d[i] = dims[i];
  if (!context_->setInputShape(name.c_str(), d)) {
    std::string detail = logger_.takeLastError();
    throw TrtFailure("E_INVALID_OPTION", path_ + ": shape " + dimsText(d) + " of " + name + " is outside the engine's profile" +
                                             (detail.empty() ? "" : " (" + detail + ")"));
  }
}

void Engine::setAddress(const std::string& name, void* address) {
  if (!context_->setTensorAddress(name.c_str(), address))
    throw TrtFailure("E_TENSORRT", path_ + ": could not bind " + name + ": " + logger_.takeLastError());
}

void Engine::enqueue(cudaStream_t stream) {
  if (!context_->enqueueV3(stream)) {
    std::string detail = logger_.takeLastError();
    const bool oom = detail.find("out of memory") != std::string::npos;
    throw TrtFailure(oom ? "E_GPU_OOM" : "E_TENSORRT", path_ + ": enqueue failed" + (detail.empty() ? "" : ": " + detail));
  }
}

}  // namespace sam3clip::trt
