// What both GPU pipelines (Pipeline, ConceptPipeline) are built on: one CUDA stream on one
// device, the TensorRT runtime, the image encoder and the image slots it fills, the interactive
// path's engines that read those slots, and the lock that makes calls run one at a time on the
// stream.
#pragma once
#include <cuda_runtime_api.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine.h"
#include "image_slots.h"
#include "interactive_graphs.h"

namespace sam3clip::trt {

class PipelineBase {
 public:
  PipelineBase(const PipelineBase&) = delete;
  PipelineBase& operator=(const PipelineBase&) = delete;

  int maxPrompts() const { return maxPrompts_; }
  // Device bytes one image slot holds (the encoder's outputs), for the caller's memory budget.
  size_t slotBytes() const { return slots_.slotBytes(); }

  // rgb: width × height × 3 bytes, already resized so the image fits in S × S.
  int encodeImage(const uint8_t* rgb, int width, int height, ImageStageTimes& times);
  void releaseImage(int slot);

  // Prompts one interactive run takes at most; 0 when the engines lack the interactive path.
  int interactiveBatch() const { return interactive_.maxBatch(); }
  // One run of "prompt_encoder" or "mask_decoder" on an image slot (InteractiveGraphs::run).
  InteractiveOutput runInteractive(int slot, const std::string& graph, const std::vector<HostTensor>& feeds);

 protected:
  // Makes the device current, creates the stream and the runtime; throws TrtFailure / CudaFailure.
  PipelineBase(int device, const float mean[3], const float std[3]);
  // The derived pipeline frees its own engines first (its destructor runs before this one).
  ~PipelineBase();

  // Throws E_INVALID_OPTION when a call has more prompts than the engines were built for.
  void checkBatch(int batch) const;

  const int device_;
  float mean_[3], std_[3];
  std::mutex mutex_;  // one stream: calls run one at a time
  cudaStream_t stream_ = nullptr;
  Logger logger_;
  TrtPtr<nvinfer1::IRuntime> runtime_;
  std::unique_ptr<Engine> imageEncoder_;
  int maxPrompts_ = 1;
  ImageSlots slots_;
  // Loaded by the derived pipeline, which knows which image inputs its decoder reads.
  InteractiveGraphs interactive_;
};

}  // namespace sam3clip::trt
