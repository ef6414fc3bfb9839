#include "image_slots.h"

#include <cstring>
#include <string>

#include "preprocess_cuda.h"

namespace sam3clip::trt {

size_t floatBytes(std::initializer_list<int64_t> dims) {
  size_t n = sizeof(float);
  for (int64_t d : dims) n *= static_cast<size_t>(d);
  return n;
}

namespace {

// Bytes of one feature tensor (its leading batch axis is 1).
size_t tensorBytes(const TensorSpec& spec) {
  size_t n = sizeof(float);
  for (int64_t d : spec.dims) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace

StageEvents::StageEvents(int count) : events_(count, nullptr) {
  for (auto& e : events_) throwIfCudaFailed(cudaEventCreate(&e), "cudaEventCreate");
}

StageEvents::~StageEvents() {
  for (auto e : events_)
    if (e) cudaEventDestroy(e);
}

void StageEvents::record(int i, cudaStream_t stream) {
  throwIfCudaFailed(cudaEventRecord(events_[i], stream), "cudaEventRecord");
}

float StageEvents::elapsed(int from, int to) const {
  float ms = 0;
  return cudaEventElapsedTime(&ms, events_[from], events_[to]) == cudaSuccess ? ms : 0.0f;
}

void ImageSlots::configure(std::vector<TensorSpec> features, int imageSize) {
  features_ = std::move(features);
  imageSize_ = imageSize;
  const int64_t S = imageSize;
  pixels_.reserve(floatBytes({1, 3, S, S}));
  rgb_.reserve(static_cast<size_t>(S) * S * 3);
  hostRgb_.reserve(static_cast<size_t>(S) * S * 3);
}

size_t ImageSlots::slotBytes() const {
  size_t bytes = 0;
  for (const auto& f : features_) bytes += tensorBytes(f);
  return bytes;
}

int ImageSlots::encode(Engine& imageEncoder, const uint8_t* rgb, int width, int height, int device, const float mean[3],
                       const float std[3], cudaStream_t stream, ImageStageTimes& times) {
  if (width < 1 || height < 1 || width > imageSize_ || height > imageSize_)
    throw TrtFailure("E_INVALID_OPTION", "the resized image must fit in " + std::to_string(imageSize_) + "²");
  throwIfCudaFailed(cudaSetDevice(device), "cudaSetDevice");
  Slot slot(features_.size());
  for (size_t i = 0; i < features_.size(); i++) slot[i].reserve(tensorBytes(features_[i]));
  StageEvents ev(4);
  const size_t bytes = static_cast<size_t>(width) * height * 3;
  std::memcpy(hostRgb_.get(), rgb, bytes);
  ev.record(0, stream);
  throwIfCudaFailed(cudaMemcpyAsync(rgb_.get(), hostRgb_.get(), bytes, cudaMemcpyHostToDevice, stream), "upload image");
  ev.record(1, stream);
  throwIfCudaFailed(
      cuda::normalizeToNchw(rgb_.get<uint8_t>(), width, height, imageSize_, mean, std, pixels_.get<float>(), stream),
      "normalizeToNchw");
  ev.record(2, stream);
  imageEncoder.setAddress("pixel_values", pixels_.get());
  bind(imageEncoder, slot);
  imageEncoder.enqueue(stream);
  ev.record(3, stream);
  throwIfCudaFailed(cudaStreamSynchronize(stream), "image encoder");
  times.upload = ev.elapsed(0, 1);
  times.preprocess = ev.elapsed(1, 2);
  times.imageEncoder = ev.elapsed(2, 3);
  const int id = nextSlot_++;
  slots_.emplace(id, std::move(slot));
  return id;
}

const ImageSlots::Slot& ImageSlots::find(int slot) const {
  auto found = slots_.find(slot);
  if (found == slots_.end()) throw TrtFailure("E_INVALID_OPTION", "this image embedding has been released");
  return found->second;
}

void ImageSlots::bind(Engine& engine, const Slot& slot) const {
  for (size_t i = 0; i < features_.size(); i++)
    if (engine.hasTensor(features_[i].name)) engine.setAddress(features_[i].name, slot[i].get());
}

}  // namespace sam3clip::trt
