#include "pipeline.h"

#include <algorithm>
#include <cstring>

#include "morphology.h"
#include "morphology_cuda.h"
#include "postprocess.h"
#include "postprocess_cuda.h"
#include "selection_cuda.h"

namespace sam3clip::trt {

using nvinfer1::DataType;

Pipeline::Pipeline(const PipelineConfig& c) : PipelineBase(c.device, c.mean, c.std), config_(c) {
  const int64_t B = -1, S = c.imageSize, C = c.embedChannels, h = c.embedH, w = c.embedW, L = c.contextLength;
  const int64_t m = c.maskSize, K = c.candidates;

  std::vector<TensorSpec> imageOutputs = {{"image_embeddings", DataType::kFLOAT, {1, C, h, w}}};
  if (c.highResFeatures) {
    imageOutputs.push_back({"high_res_feats_0", DataType::kFLOAT, {1, 32, 4 * h, 4 * w}});
    imageOutputs.push_back({"high_res_feats_1", DataType::kFLOAT, {1, 64, 2 * h, 2 * w}});
  }
  imageEncoder_ = std::make_unique<Engine>(*runtime_, logger_, c.imageEncoder,
                                           std::vector<TensorSpec>{{"pixel_values", DataType::kFLOAT, {1, 3, S, S}}},
                                           imageOutputs, c.rebuildHint);

  std::vector<TensorSpec> textInputs = {{"input_ids", DataType::kINT64, {B, L}}};
  if (c.attentionMask) textInputs.push_back({"attention_mask", DataType::kINT64, {B, L}});
  textEncoder_ = std::make_unique<Engine>(*runtime_, logger_, c.textEncoder, textInputs,
                                          std::vector<TensorSpec>{{"text_embeds", DataType::kFLOAT, {B, c.textDim}}},
                                          c.rebuildHint);
  textProjection_ = std::make_unique<Engine>(
      *runtime_, logger_, c.textProjection, std::vector<TensorSpec>{{"text_embeds", DataType::kFLOAT, {B, c.textDim}}},
      std::vector<TensorSpec>{{"prompt_embeds", DataType::kFLOAT, {B, c.promptTokens, c.promptDim}}}, c.rebuildHint);

  InteractiveConfig interactive;
  interactive.promptEncoder = c.promptEncoder;
  interactive.maskDecoder = c.maskDecoder;
  interactive.imageInputs = imageOutputs;
  interactive.promptDim = c.promptDim;
  interactive.maskSize = c.maskSize;
  interactive.candidates = c.candidates;
  interactive_.load(*runtime_, logger_, interactive, c.rebuildHint);
  Engine& decoder = *interactive_.maskDecoder();
  // Engines built for the interactive path take 1..N+67 prompt tokens, older ones exactly N; the
  // text path needs N either way.
  const auto tokens = decoder.profileRange("prompt_embeds", 1);
  if (c.promptTokens < tokens.first || c.promptTokens > tokens.second)
    throw TrtFailure("E_ENGINE_MISMATCH", c.maskDecoder + ": prompt_embeds takes " + std::to_string(tokens.first) + ".." +
                                              std::to_string(tokens.second) + " tokens, the text path sends " +
                                              std::to_string(c.promptTokens) + ". " + c.rebuildHint);

  // The prompt batch is bounded by the smallest profile of the three prompt-path engines.
  maxPrompts_ = std::min({textEncoder_->maxBatch(), textProjection_->maxBatch(), decoder.maxBatch()});

  // Prompt-path buffers for the largest batch, allocated once.
  const int64_t maxB = maxPrompts_;
  ids_.reserve(maxB * L * sizeof(int64_t));
  if (c.attentionMask) attention_.reserve(maxB * L * sizeof(int64_t));
  hostIds_.reserve(2 * maxB * L * sizeof(int64_t));
  textEmbeds_.reserve(floatBytes({maxB, c.textDim}));
  promptEmbeds_.reserve(floatBytes({maxB, c.promptTokens, c.promptDim}));
  lowres_.reserve(floatBytes({maxB, K, m, m}));
  iou_.reserve(floatBytes({maxB, K}));
  index_.reserve(maxB * sizeof(int32_t));
  passed_.reserve(maxB);
  hostScores_.reserve(floatBytes({maxB, K}) + maxB * (sizeof(int32_t) + 1));
  slots_.configure(imageOutputs, c.imageSize);
}

Pipeline::~Pipeline() {
  textProjection_.reset();
  textEncoder_.reset();
}

SegmentOutput Pipeline::segment(const SegmentRequest& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& c = config_;
  const ImageSlots::Slot& slot = slots_.find(r.slot);
  checkBatch(r.batch);
  if (r.originalH < 1 || r.originalW < 1 || r.resizedH < 1 || r.resizedW < 1 || r.resizedH > c.imageSize ||
      r.resizedW > c.imageSize || r.smoothness < 1 || r.smoothness > kMaxMorphKernel)
    throw TrtFailure("E_INVALID_OPTION", "invalid mask geometry or smoothness");
  throwIfCudaFailed(cudaSetDevice(c.device), "cudaSetDevice");

  const int64_t B = r.batch, L = c.contextLength, K = c.candidates;
  const size_t pixels = static_cast<size_t>(r.originalH) * r.originalW;
  masks_.reserve(B * pixels);
  if (r.smoothness > 1) {
    smoothed_.reserve(B * pixels);
    morphScratch_.reserve(cuda::morphologyScratchBytes(r.originalW, r.originalH));
  }
  hostMasks_.reserve(B * pixels);

  StageEvents ev(7);
  auto* hostIds = hostIds_.get<int64_t>();
  std::memcpy(hostIds, r.inputIds, B * L * sizeof(int64_t));
  if (r.attentionMask) std::memcpy(hostIds + B * L, r.attentionMask, B * L * sizeof(int64_t));
  ev.record(0, stream_);
  throwIfCudaFailed(cudaMemcpyAsync(ids_.get(), hostIds, B * L * sizeof(int64_t), cudaMemcpyHostToDevice, stream_), "upload ids");

  textEncoder_->setInputShape("input_ids", {B, L});
  textEncoder_->setAddress("input_ids", ids_.get());
  if (c.attentionMask) {
    if (!r.attentionMask) throw TrtFailure("E_INVALID_OPTION", "this package needs an attention mask");
    throwIfCudaFailed(cudaMemcpyAsync(attention_.get(), hostIds + B * L, B * L * sizeof(int64_t), cudaMemcpyHostToDevice, stream_),
                      "upload attention mask");
    textEncoder_->setInputShape("attention_mask", {B, L});
    textEncoder_->setAddress("attention_mask", attention_.get());
  }
  textEncoder_->setAddress("text_embeds", textEmbeds_.get());
  textEncoder_->enqueue(stream_);
  ev.record(1, stream_);

  textProjection_->setInputShape("text_embeds", {B, c.textDim});
  textProjection_->setAddress("text_embeds", textEmbeds_.get());
  textProjection_->setAddress("prompt_embeds", promptEmbeds_.get());
  textProjection_->enqueue(stream_);
  ev.record(2, stream_);

  Engine& decoder = *interactive_.maskDecoder();
  decoder.setInputShape("prompt_embeds", {B, c.promptTokens, c.promptDim});
  slots_.bind(decoder, slot);
  decoder.setAddress("prompt_embeds", promptEmbeds_.get());
  decoder.setAddress("masks", lowres_.get());
  decoder.setAddress("iou_scores", iou_.get());
  decoder.enqueue(stream_);
  ev.record(3, stream_);

  throwIfCudaFailed(cuda::selectCandidates(iou_.get<float>(), r.batch, c.candidates, r.threshold, index_.get<int32_t>(),
                                           passed_.get<uint8_t>(), stream_),
                    "selectCandidates");
  MaskGeometry g{r.batch, c.maskSize, c.imageSize, r.resizedH, r.resizedW, r.originalH, r.originalW};
  throwIfCudaFailed(cuda::postprocessMasks(lowres_.get<float>(), index_.get<int32_t>(), c.candidates, g, masks_.get<uint8_t>(), stream_),
                    "postprocessMasks");
  uint8_t* finalMasks = masks_.get<uint8_t>();
  if (r.smoothness > 1) {
    for (int64_t b = 0; b < B; b++)
      throwIfCudaFailed(cuda::morphology(masks_.get<uint8_t>() + b * pixels, smoothed_.get<uint8_t>() + b * pixels, r.originalW,
                                         r.originalH, MorphOp::Close, r.smoothness, morphScratch_.get<uint8_t>(), stream_),
                        "morphology");
    finalMasks = smoothed_.get<uint8_t>();
  }
  ev.record(4, stream_);

  // Only the final masks and the scores cross back, into pinned memory.
  auto* hostScores = hostScores_.get<uint8_t>();
  const size_t iouBytes = B * K * sizeof(float), indexBytes = B * sizeof(int32_t);
  throwIfCudaFailed(cudaMemcpyAsync(hostMasks_.get(), finalMasks, B * pixels, cudaMemcpyDeviceToHost, stream_), "download masks");
  throwIfCudaFailed(cudaMemcpyAsync(hostScores, iou_.get(), iouBytes, cudaMemcpyDeviceToHost, stream_), "download scores");
  throwIfCudaFailed(cudaMemcpyAsync(hostScores + iouBytes, index_.get(), indexBytes, cudaMemcpyDeviceToHost, stream_), "download index");
  throwIfCudaFailed(cudaMemcpyAsync(hostScores + iouBytes + indexBytes, passed_.get(), B, cudaMemcpyDeviceToHost, stream_),
                    "download passed");
  ev.record(5, stream_);
  throwIfCudaFailed(cudaStreamSynchronize(stream_), "segment");

  SegmentOutput out;
  out.masks.assign(hostMasks_.get<uint8_t>(), hostMasks_.get<uint8_t>() + B * pixels);
  out.iou.resize(B * K);
  std::memcpy(out.iou.data(), hostScores, iouBytes);
  out.index.resize(B);
  std::memcpy(out.index.data(), hostScores + iouBytes, indexBytes);
  out.passed.assign(hostScores + iouBytes + indexBytes, hostScores + iouBytes + indexBytes + B);
  out.times.textEncoder = ev.elapsed(0, 1);
  out.times.textProjection = ev.elapsed(1, 2);
  out.times.maskDecoder = ev.elapsed(2, 3);
  out.times.postprocess = ev.elapsed(3, 4);
  out.times.download = ev.elapsed(4, 5);
  return out;
}

}  // namespace sam3clip::trt
