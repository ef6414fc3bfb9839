#include "pipeline_base.h"

#include <string>

namespace sam3clip::trt {

PipelineBase::PipelineBase(int device, const float mean[3], const float std[3]) : device_(device) {
  for (int i = 0; i < 3; i++) {
    mean_[i] = mean[i];
    std_[i] = std[i];
  }
  throwIfCudaFailed(cudaSetDevice(device), "cudaSetDevice");
  throwIfCudaFailed(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  runtime_.reset(require(nvinfer1::createInferRuntime(logger_), logger_, "E_TENSORRT", "could not create the TensorRT runtime"));
}

PipelineBase::~PipelineBase() {
  slots_.clear();
  interactive_.reset();
  imageEncoder_.reset();
  runtime_.reset();
  if (stream_) cudaStreamDestroy(stream_);
}

int PipelineBase::encodeImage(const uint8_t* rgb, int width, int height, ImageStageTimes& times) {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.encode(*imageEncoder_, rgb, width, height, device_, mean_, std_, stream_, times);
}

void PipelineBase::releaseImage(int slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.release(slot);
}

InteractiveOutput PipelineBase::runInteractive(int slot, const std::string& graph, const std::vector<HostTensor>& feeds) {
  std::lock_guard<std::mutex> lock(mutex_);
  const ImageSlots::Slot& s = slots_.find(slot);
  throwIfCudaFailed(cudaSetDevice(device_), "cudaSetDevice");
  return interactive_.run(graph, slots_, s, feeds, stream_);
}

void PipelineBase::checkBatch(int batch) const {
  if (batch < 1 || batch > maxPrompts_)
    throw TrtFailure("E_INVALID_OPTION", std::to_string(batch) + " prompts in one call; the engines were built for at most " +
                                             std::to_string(maxPrompts_) + " (npm run build-engines -- --max-prompts N)");
}

}  // namespace sam3clip::trt
