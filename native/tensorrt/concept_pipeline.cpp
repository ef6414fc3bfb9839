#include "concept_pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "instance_masks.h"
#include "instance_masks_cuda.h"
#include "morphology.h"
#include "morphology_cuda.h"

namespace sam3clip::trt {

using nvinfer1::DataType;

namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

std::vector<int32_t> keptQueries(const float* logits, int queries, float presenceLogit, double threshold, int maxInstances) {
  const double p = sigmoid(presenceLogit);
  std::vector<double> score(queries);
  std::vector<int32_t> kept;
  for (int q = 0; q < queries; q++) {
    score[q] = sigmoid(logits[q]) * p;
    if (score[q] > threshold) kept.push_back(q);
  }
  std::stable_sort(kept.begin(), kept.end(), [&](int32_t a, int32_t b) { return score[a] > score[b]; });
  if (maxInstances >= 0 && kept.size() > static_cast<size_t>(maxInstances)) kept.resize(maxInstances);
  return kept;
}

ConceptPipeline::ConceptPipeline(const ConceptPipelineConfig& c) : PipelineBase(c.device, c.mean, c.std), config_(c) {
  const int64_t B = -1, S = c.imageSize, C = c.embedChannels, h = c.embedH, w = c.embedW, L = c.contextLength;
  const int64_t T = c.textFeatures, Q = c.queries, m = c.maskSize;

  const std::vector<TensorSpec> fpn = {{"fpn_feats_0", DataType::kFLOAT, {1, C, 4 * h, 4 * w}},
                                       {"fpn_feats_1", DataType::kFLOAT, {1, C, 2 * h, 2 * w}},
                                       {"fpn_feats_2", DataType::kFLOAT, {1, C, h, w}}};
  std::vector<TensorSpec> trackerFeatures;
  if (c.tracker) {
    const int64_t Ct = c.trackerChannels, ht = c.trackerH, wt = c.trackerW;
    trackerFeatures = {{"image_embeddings", DataType::kFLOAT, {1, Ct, ht, wt}},
                       {"high_res_feats_0", DataType::kFLOAT, {1, 32, 4 * ht, 4 * wt}},
                       {"high_res_feats_1", DataType::kFLOAT, {1, 64, 2 * ht, 2 * wt}}};
  }
  // A slot keeps every encoder output: the FPN levels for the detector, the tracker's for points.
  std::vector<TensorSpec> features = fpn;
  features.insert(features.end(), trackerFeatures.begin(), trackerFeatures.end());
  imageEncoder_ = std::make_unique<Engine>(*runtime_, logger_, c.imageEncoder,
                                           std::vector<TensorSpec>{{"pixel_values", DataType::kFLOAT, {1, 3, S, S}}}, features,
                                           c.rebuildHint);
  textEncoder_ = std::make_unique<Engine>(
      *runtime_, logger_, c.textEncoder,
      std::vector<TensorSpec>{{"input_ids", DataType::kINT64, {B, L}}, {"attention_mask", DataType::kINT64, {B, L}}},
      std::vector<TensorSpec>{{"text_features", DataType::kFLOAT, {B, L, T}}}, c.rebuildHint);
  std::vector<TensorSpec> detectorInputs = fpn;
  detectorInputs.push_back({"text_features", DataType::kFLOAT, {B, L, T}});
  detectorInputs.push_back({"attention_mask", DataType::kINT64, {B, L}});
  detector_ = std::make_unique<Engine>(*runtime_, logger_, c.detector, detectorInputs,
                                       std::vector<TensorSpec>{{"pred_logits", DataType::kFLOAT, {B, Q}},
                                                               {"pred_boxes", DataType::kFLOAT, {B, Q, 4}},
                                                               {"pred_masks", DataType::kFLOAT, {B, Q, m, m}},
                                                               {"presence_logits", DataType::kFLOAT, {B, 1}}},
                                       c.rebuildHint);

  // Both interactive engines or neither: the decoder alone answers no prompt.
  if (c.tracker && !c.promptEncoder.empty() && !c.maskDecoder.empty()) {
    InteractiveConfig interactive;
    interactive.promptEncoder = c.promptEncoder;
    interactive.maskDecoder = c.maskDecoder;
    interactive.imageInputs = trackerFeatures;
    interactive.promptDim = c.trackerChannels;  // the tracker's prompt tokens are C' wide
    interactive.maskSize = c.trackerMaskSize;
    interactive.candidates = c.trackerCandidates;
    interactive_.load(*runtime_, logger_, interactive, c.rebuildHint);
  }

  // The prompt batch is bounded by the smaller profile of the two prompt-path engines.
  maxPrompts_ = std::min(textEncoder_->maxBatch(), detector_->maxBatch());

  const int64_t maxB = maxPrompts_;
  ids_.reserve(maxB * L * sizeof(int64_t));
  attention_.reserve(maxB * L * sizeof(int64_t));
  hostIds_.reserve(2 * maxB * L * sizeof(int64_t));
  textFeatures_.reserve(floatBytes({maxB, L, T}));
  logits_.reserve(floatBytes({maxB, Q}));
  boxes_.reserve(floatBytes({maxB, Q, 4}));
  maskLogits_.reserve(floatBytes({maxB, Q, m, m}));
  presence_.reserve(floatBytes({maxB, 1}));
  hostSmall_.reserve(floatBytes({maxB, Q}) + floatBytes({maxB, Q, 4}) + floatBytes({maxB}));
  planes_.reserve(maxB * Q * sizeof(int32_t));
  hostPlanes_.reserve(maxB * Q * sizeof(int32_t));
  slots_.configure(features, c.imageSize);
}

ConceptPipeline::~ConceptPipeline() {
  detector_.reset();
  textEncoder_.reset();
}

DetectOutput ConceptPipeline::detect(const DetectRequest& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& c = config_;
  const ImageSlots::Slot& slot = slots_.find(r.slot);
  checkBatch(r.batch);
  if (!r.inputIds || !r.attentionMask) throw TrtFailure("E_INVALID_OPTION", "input ids and an attention mask are needed");
  if (r.originalH < 1 || r.originalW < 1 || r.smoothness < 1 || r.smoothness > kMaxMorphKernel || r.maxInstances < 1)
    throw TrtFailure("E_INVALID_OPTION", "invalid mask geometry, smoothness or maxInstances");
  throwIfCudaFailed(cudaSetDevice(c.device), "cudaSetDevice");

  const int64_t B = r.batch, L = c.contextLength, T = c.textFeatures, Q = c.queries;
  StageEvents ev(7);
  auto* hostIds = hostIds_.get<int64_t>();
  const size_t tokenBytes = B * L * sizeof(int64_t);
  std::memcpy(hostIds, r.inputIds, tokenBytes);
  std::memcpy(hostIds + B * L, r.attentionMask, tokenBytes);
  ev.record(0, stream_);
  throwIfCudaFailed(cudaMemcpyAsync(ids_.get(), hostIds, tokenBytes, cudaMemcpyHostToDevice, stream_), "upload ids");
  throwIfCudaFailed(cudaMemcpyAsync(attention_.get(), hostIds + B * L, tokenBytes, cudaMemcpyHostToDevice, stream_),
                    "upload attention mask");

  textEncoder_->setInputShape("input_ids", {B, L});
  textEncoder_->setInputShape("attention_mask", {B, L});
  textEncoder_->setAddress("input_ids", ids_.get());
  textEncoder_->setAddress("attention_mask", attention_.get());
  textEncoder_->setAddress("text_features", textFeatures_.get());
  textEncoder_->enqueue(stream_);
  ev.record(1, stream_);

  detector_->setInputShape("text_features", {B, L, T});
  detector_->setInputShape("attention_mask", {B, L});
  slots_.bind(*detector_, slot);
  detector_->setAddress("text_features", textFeatures_.get());
  detector_->setAddress("attention_mask", attention_.get());
  detector_->setAddress("pred_logits", logits_.get());
  detector_->setAddress("pred_boxes", boxes_.get());
  detector_->setAddress("pred_masks", maskLogits_.get());
  detector_->setAddress("presence_logits", presence_.get());
  detector_->enqueue(stream_);
  ev.record(2, stream_);

  // The small tensors cross to the host, where the kept queries are picked.
  auto* small = hostSmall_.get<float>();
  float* hostLogits = small;
  float* hostBoxes = small + B * Q;
  float* hostPresence = hostBoxes + B * Q * 4;
  throwIfCudaFailed(cudaMemcpyAsync(hostLogits, logits_.get(), floatBytes({B, Q}), cudaMemcpyDeviceToHost, stream_), "download logits");
  throwIfCudaFailed(cudaMemcpyAsync(hostBoxes, boxes_.get(), floatBytes({B, Q, 4}), cudaMemcpyDeviceToHost, stream_), "download boxes");
  throwIfCudaFailed(cudaMemcpyAsync(hostPresence, presence_.get(), floatBytes({B}), cudaMemcpyDeviceToHost, stream_), "download presence");
  ev.record(3, stream_);
  throwIfCudaFailed(cudaStreamSynchronize(stream_), "detector");

  DetectOutput out;
  out.logits.assign(hostLogits, hostLogits + B * Q);
  out.boxes.assign(hostBoxes, hostBoxes + B * Q * 4);
  out.presence.assign(hostPresence, hostPresence + B);
  out.counts.resize(B);
  auto* planes = hostPlanes_.get<int32_t>();
  for (int64_t b = 0; b < B; b++) {
    std::vector<int32_t> kept = keptQueries(hostLogits + b * Q, static_cast<int>(Q), hostPresence[b], r.threshold, r.maxInstances);
    out.counts[b] = static_cast<int32_t>(kept.size());
    for (int32_t q : kept) {
      planes[out.kept.size()] = static_cast<int32_t>(b * Q + q);
      out.kept.push_back(q);
    }
  }
  out.times.textEncoder = ev.elapsed(0, 1);
  out.times.detector = ev.elapsed(1, 2);
  const int64_t N = static_cast<int64_t>(out.kept.size());
  if (N > r.maxMasks) {
    out.masksSkipped = true;
    out.times.download = ev.elapsed(2, 3);
    return out;
  }
  if (N == 0) {
    out.times.download = ev.elapsed(2, 3);
    return out;
  }

  const size_t pixels = static_cast<size_t>(r.originalH) * r.originalW;
  masks_.reserve(N * pixels);
  hostMasks_.reserve(N * pixels);
  if (r.smoothness > 1) morphScratch_.reserve(cuda::morphologyScratchBytes(r.originalW, r.originalH));
  ev.record(4, stream_);
  throwIfCudaFailed(cudaMemcpyAsync(planes_.get(), planes, N * sizeof(int32_t), cudaMemcpyHostToDevice, stream_), "upload planes");
  InstanceMaskGeometry g{static_cast<int>(N), c.maskSize, r.originalH, r.originalW, r.maskThreshold};
  throwIfCudaFailed(cuda::postprocessInstanceMasks(maskLogits_.get<float>(), static_cast<int>(B * Q), planes_.get<int32_t>(), g,
                                                   masks_.get<uint8_t>(), stream_),
                    "postprocessInstanceMasks");
  if (r.smoothness > 1)
    for (int64_t i = 0; i < N; i++) {
      uint8_t* mask = masks_.get<uint8_t>() + i * pixels;
      // In place: the call reads the whole source into scratch before it writes.
      throwIfCudaFailed(cuda::morphology(mask, mask, r.originalW, r.originalH, MorphOp::Close, r.smoothness,
                                         morphScratch_.get<uint8_t>(), stream_),
                        "morphology");
    }
  ev.record(5, stream_);
  throwIfCudaFailed(cudaMemcpyAsync(hostMasks_.get(), masks_.get(), N * pixels, cudaMemcpyDeviceToHost, stream_), "download masks");
  ev.record(6, stream_);
  throwIfCudaFailed(cudaStreamSynchronize(stream_), "instance masks");
  out.masks.assign(hostMasks_.get<uint8_t>(), hostMasks_.get<uint8_t>() + N * pixels);
  out.times.postprocess = ev.elapsed(4, 5);
  out.times.download = ev.elapsed(2, 3) + ev.elapsed(5, 6);
  return out;
}

}  // namespace sam3clip::trt
