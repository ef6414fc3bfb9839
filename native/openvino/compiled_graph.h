// One package graph (ONNX) compiled for the CPU by OpenVINO. run() is thread-safe: each call gets
// its own infer request, so its output tensors are its own to keep (the caller hands them to
// JavaScript without a copy) and concurrent calls never overwrite each other's results.
#pragma once

#include <openvino/runtime/compiled_model.hpp>
#include <openvino/runtime/tensor.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sam3clip::openvino {

struct GraphOptions {
  std::string precision = "f32";  // "bf16" or "f32": ov::hint::inference_precision
  int threads = 0;                // ov::inference_num_threads; 0: OpenVINO's default (every core)
  // The compiled blob to import instead of compiling, and to write after compiling; empty: no cache.
  // The caller names it by the ONNX file's hash and these options, so a changed file never matches.
  std::string blobPath;
};

struct TensorInfo {
  // Every name the tensor goes by: the ONNX graph's own name for a graph input or output is one of
  // them, beside names of the internal tensors OpenVINO folded into it (a Cast at an input).
  std::vector<std::string> names;
  std::string name;  // one of names: a Parameter's own (its ONNX input name), else the first
  std::vector<int64_t> shape;  // -1: a dynamic axis
  std::string type;            // ov::element::Type::get_type_name(), e.g. "f32", "i64"
};

// A tensor fed to run(), by input index: memory the caller keeps alive and unchanged until run() returns.
struct InputView {
  size_t index;
  ov::element::Type type;
  ov::Shape shape;
  void* data;
};

struct RunResult {
  std::vector<ov::Tensor> outputs;  // in the order of outputs()
  double ms = 0;  // time inside infer()
};

class CompiledGraph {
 public:
  // Imports options.blobPath when it holds a blob this runtime accepts; otherwise reads and
  // compiles `file` and (with a blobPath) writes the blob for the next start. Throws on failure.
  CompiledGraph(const std::string& file, const GraphOptions& options);

  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  // What the plugin actually computes in (it may refuse bf16 on a CPU without it).
  const std::string& inferencePrecision() const { return precision_; }
  bool fromCache() const { return fromCache_; }
  // Why the blob was not used or written ("" when it was, or no cache was asked for).
  const std::string& cacheNote() const { return cacheNote_; }

  RunResult run(const std::vector<InputView>& inputs);

 private:
  void compileFromFile(const std::string& file, const ov::AnyMap& properties);

  ov::CompiledModel model_;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
  std::string precision_;
  bool fromCache_ = false;
  std::string cacheNote_;
};

}  // namespace sam3clip::openvino
