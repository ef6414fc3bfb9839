// One deserialized TensorRT engine with its execution context: checks the engine's I/O against
// what the model package implies, sets shapes and addresses, enqueues on a stream.
#pragma once
#include <NvInfer.h>
#include <cuda_runtime_api.h>

#include <string>
#include <utility>
#include <vector>

#include "trt_common.h"

namespace sam3clip::trt {

struct TensorSpec {
  std::string name;
  nvinfer1::DataType type;
  // Expected dims; -1 marks the dynamic prompt-batch axis.
  std::vector<int64_t> dims;
};

class Engine {
 public:
  // Throws E_ENGINE_MISMATCH when the file cannot be deserialized by this TensorRT (built by
  // another version, for another GPU, or not an engine) or its tensors differ from `inputs` /
  // `outputs`; `rebuildHint` ends every mismatch message.
  Engine(nvinfer1::IRuntime& runtime, Logger& logger, const std::string& path, const std::vector<TensorSpec>& inputs,
         const std::vector<TensorSpec>& outputs, const std::string& rebuildHint);

  // Largest batch the engine's optimization profile allows on its dynamic axis (1 if static).
  int maxBatch() const { return maxBatch_; }
  // Whether the engine has an input or output of this name.
  bool hasTensor(const std::string& name) const;
  // The smallest and largest size the optimization profile allows on one axis of an input (the
  // size itself where that axis is static).
  std::pair<int64_t, int64_t> profileRange(const std::string& name, int axis) const;
  // A tensor's shape in the context: an output's is known once every input shape is set; a -1
  // left in it means the inputs do not determine it.
  std::vector<int64_t> shape(const std::string& name) const;

  void setInputShape(const std::string& name, const std::vector<int64_t>& dims);
  void setAddress(const std::string& name, void* address);
  void enqueue(cudaStream_t stream);

 private:
  void checkTensor(const TensorSpec& spec, bool input, const std::string& rebuildHint);
  Logger& logger_;
  std::string path_;
  TrtPtr<nvinfer1::ICudaEngine> engine_;
  TrtPtr<nvinfer1::IExecutionContext> context_;
  int maxBatch_ = 1;
};

}  // namespace sam3clip::trt
