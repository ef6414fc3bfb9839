// The interactive path's engines (SAM's prompt encoder of points and boxes, and the mask decoder)
// and one run of either with tensors from the host: the feeds are uploaded, an image slot's
// features bound to the decoder's image inputs, and every output downloaded. Selection and
// post-processing stay with the caller (lib/families/interactive.ts), which does them on the host
// as for every other backend, so the answers agree with theirs.
#pragma once
#include <NvInfer.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "device_buffer.h"
#include "engine.h"
#include "image_slots.h"

namespace sam3clip::trt {

// A row-major float32 or int64 tensor from the host.
struct HostTensor {
  std::string name;
  nvinfer1::DataType type = nvinfer1::DataType::kFLOAT;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

struct OutputTensor {
  std::vector<int64_t> dims;
  std::vector<float> data;
};

struct InteractiveOutput {
  std::map<std::string, OutputTensor> outputs;
  float ms = 0;  // the engine's run, measured with CUDA events
};

struct InteractiveConfig {
  std::string promptEncoder;  // engine file; empty where the engine folder has none
  std::string maskDecoder;    // engine file
  // The decoder's image inputs: features an image slot keeps, bound by name.
  std::vector<TensorSpec> imageInputs;
  int promptDim = 0, maskSize = 0, candidates = 0;  // P, m, K
};

// Not thread-safe: the owning pipeline serializes calls on its stream.
class InteractiveGraphs {
 public:
  // Loads the decoder and, when the config names one, the prompt encoder; throws TrtFailure
  // (E_ENGINE_MISMATCH with rebuildHint, E_GPU_OOM, E_TENSORRT).
  void load(nvinfer1::IRuntime& runtime, Logger& logger, const InteractiveConfig& config, const std::string& rebuildHint);
  // Frees the engines (before the runtime that made them) and the buffers.
  void reset();

  // The decoder, which the tracker's text path runs too; null before load().
  Engine* maskDecoder() const { return maskDecoder_.get(); }
  // Prompts one run takes at most; 0 when the prompt encoder is absent (an engine folder built
  // before the interactive path existed), so points and boxes cannot run.
  int maxBatch() const;

  // graph: "prompt_encoder" or "mask_decoder". The feeds must be exactly the graph's host inputs
  // (input_points + input_labels, or prompt_embeds), with one prompt batch and token count;
  // anything else is E_INVALID_OPTION. E_BACKEND_UNAVAILABLE without the prompt encoder.
  InteractiveOutput run(const std::string& graph, const ImageSlots& slots, const ImageSlots::Slot& slot,
                        const std::vector<HostTensor>& feeds, cudaStream_t stream);

 private:
  struct Graph {
    Engine* engine = nullptr;
    std::vector<TensorSpec> hostInputs, outputs;
  };
  const Graph& graph(const std::string& name) const;

  std::unique_ptr<Engine> promptEncoder_, maskDecoder_;
  Graph encoderGraph_, decoderGraph_;
  std::string rebuildHint_;
  // Reused buffers, grown to the largest run seen.
  std::map<std::string, DeviceBuffer> device_;
  PinnedBuffer hostIn_, hostOut_;
};

}  // namespace sam3clip::trt
