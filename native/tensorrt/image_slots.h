// What both GPU pipelines (pipeline.h, concept_pipeline.h) share: CUDA events around the stages
// of one call, and the image slots — the image encoder's outputs kept in device memory per
// encoded image, made by uploading the resized RGB, normalizing it and running the encoder.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <vector>

#include "device_buffer.h"
#include "engine.h"

namespace sam3clip::trt {

// Bytes of a float tensor of these dims.
size_t floatBytes(std::initializer_list<int64_t> dims);

// CUDA events around each stage of one call; elapsed() reads them after the stream syncs.
class StageEvents {
 public:
  explicit StageEvents(int count);
  ~StageEvents();
  StageEvents(const StageEvents&) = delete;
  StageEvents& operator=(const StageEvents&) = delete;
  void record(int i, cudaStream_t stream);
  float elapsed(int from, int to) const;

 private:
  std::vector<cudaEvent_t> events_;
};

// Milliseconds of the image stages, the first fields of both pipelines' stage times.
struct ImageStageTimes {
  float upload = 0, preprocess = 0, imageEncoder = 0;
};

// The image encoder's inputs and outputs: pixel_values (1 × 3 × S × S) in, the feature tensors
// (each 1 × …, float) out, kept per slot. Not thread-safe: the owning pipeline serializes calls.
class ImageSlots {
 public:
  using Slot = std::vector<DeviceBuffer>;  // one buffer per feature tensor, in order

  // Allocates the upload and pixel buffers for S × S images (the device must be current).
  void configure(std::vector<TensorSpec> features, int imageSize);
  // Device bytes one slot holds.
  size_t slotBytes() const;

  // rgb: width × height × 3 bytes, already resized so the image fits in S × S. Throws
  // E_INVALID_OPTION when it does not.
  int encode(Engine& imageEncoder, const uint8_t* rgb, int width, int height, int device, const float mean[3],
             const float std[3], cudaStream_t stream, ImageStageTimes& times);
  void release(int slot) { slots_.erase(slot); }
  void clear() { slots_.clear(); }
  // Throws E_INVALID_OPTION when the slot has been released.
  const Slot& find(int slot) const;
  // The feature tensors of a slot that the engine has, as encoder outputs or decoder inputs: a
  // decoder reads only its own (sam3-concept's detector the FPN levels, the mask decoder the
  // tracker's), and its constructor has already checked that it has those.
  void bind(Engine& engine, const Slot& slot) const;

 private:
  std::vector<TensorSpec> features_;
  int imageSize_ = 0;
  int nextSlot_ = 1;
  std::map<int, Slot> slots_;
  PinnedBuffer hostRgb_;
  DeviceBuffer rgb_, pixels_;
};

}  // namespace sam3clip::trt
