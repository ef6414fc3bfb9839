#include "compiled_graph.h"

#include <openvino/runtime/infer_request.hpp>
#include <openvino/runtime/intel_cpu/properties.hpp>
#include <openvino/runtime/properties.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include "runtime.h"

namespace sam3clip::openvino {
namespace {

std::vector<TensorInfo> describe(const std::vector<ov::Output<const ov::Node>>& ports) {
  std::vector<TensorInfo> list;
  for (const auto& port : ports) {
    TensorInfo info;
    const auto& names = port.get_names();
    info.names.assign(names.begin(), names.end());
    const std::string own = port.get_node()->get_friendly_name();
    info.name = names.count(own) ? own : (info.names.empty() ? own : info.names.front());
    for (const auto& d : port.get_partial_shape()) info.shape.push_back(d.is_static() ? d.get_length() : -1);
    info.type = port.get_element_type().get_type_name();
    list.push_back(std::move(info));
  }
  return list;
}

}  // namespace

CompiledGraph::CompiledGraph(const std::string& file, const GraphOptions& options) {
  if (options.precision != "bf16" && options.precision != "f32")
    throw std::invalid_argument("precision must be \"bf16\" or \"f32\", not \"" + options.precision + "\"");
  ov::AnyMap properties{
      {ov::hint::inference_precision.name(), options.precision == "bf16" ? ov::element::bf16 : ov::element::f32},
      // One request at a time per graph, each using every thread it is given: the segmenter runs a
      // call's graphs one after another, and a second call waits for the threads anyway.
      {ov::hint::performance_mode.name(), ov::hint::PerformanceMode::LATENCY},
  };
  if (options.threads > 0) properties[ov::inference_num_threads.name()] = options.threads;

  if (!options.blobPath.empty()) {
    std::ifstream blob(options.blobPath, std::ios::binary);
    if (blob) {
      try {
        model_ = core().import_model(blob, "CPU", properties);
        fromCache_ = true;
      } catch (const std::exception& e) {
        // A blob of another OpenVINO build or a truncated write: compile again and replace it.
        cacheNote_ = std::string("the compiled blob was not usable (") + e.what() + "); compiled again";
      }
    }
  }
  if (!fromCache_) compileFromFile(file, properties);
  if (!fromCache_ && !options.blobPath.empty()) {
    // Written beside, then renamed: a reader never sees half a blob, and two processes compiling
    // the same graph both end with a whole one.
    const std::string partial = options.blobPath + ".partial-" + std::to_string(::getpid());
    try {
      {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("cannot create " + partial);
        model_.export_model(out);
        out.close();
        if (!out) throw std::runtime_error("writing " + partial + " failed");
      }
      if (std::rename(partial.c_str(), options.blobPath.c_str()) != 0) throw std::runtime_error("cannot rename " + partial);
    } catch (const std::exception& e) {
      std::remove(partial.c_str());
      // The cache is an optimization: a read-only or full disk costs the next start a compile, nothing more.
      cacheNote_ = std::string("the compiled blob was not written: ") + e.what();
    }
  }
  inputs_ = describe(model_.inputs());
  outputs_ = describe(model_.outputs());
  precision_ = model_.get_property(ov::hint::inference_precision).get_type_name();
}

void CompiledGraph::compileFromFile(const std::string& file, const ov::AnyMap& properties) {
  std::shared_ptr<ov::Model> model = core().read_model(file);
  model_ = core().compile_model(model, "CPU", properties);
}

RunResult CompiledGraph::run(const std::vector<InputView>& inputs) {
  // A fresh request per call: its output tensors outlive it (they are reference counted), so they
  // can back JavaScript arrays with no copy, and no later call writes over them. Creating one
  // costs microseconds; the plugin's compiled graph and weights are shared.
  ov::InferRequest request = model_.create_infer_request();
  for (const InputView& in : inputs) request.set_input_tensor(in.index, ov::Tensor(in.type, in.shape, in.data));
  const auto start = std::chrono::steady_clock::now();
  request.infer();
  RunResult result;
  result.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (size_t i = 0; i < outputs_.size(); i++) result.outputs.push_back(request.get_output_tensor(i));
  return result;
}

}  // namespace sam3clip::openvino
