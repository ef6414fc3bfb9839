// The GPU pipeline of one sam3-concept segmenter: three engines (image encoder, text encoder,
// detector), one CUDA stream, the three FPN levels kept in device memory per image slot, and the
// prompt path chained on the device. Only the detector's small tensors (logits, boxes, presence)
// come to the host, where the kept queries are picked (the rule of lib/families/sam3-concept.ts);
// the kept queries' masks are then post-processed and smoothed on the device and downloaded.
// A package with the tracker path adds the encoder's image_embeddings and high-res levels to each
// slot, which the tracker's prompt encoder and mask decoder read (PipelineBase::runInteractive).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device_buffer.h"
#include "engine.h"
#include "image_slots.h"
#include "pipeline_base.h"

namespace sam3clip::trt {

struct ConceptPipelineConfig {
  std::string imageEncoder, textEncoder, detector;  // engine files
  std::string rebuildHint;                          // ends every E_ENGINE_MISMATCH message
  int device = 0;
  int imageSize = 0;  // S
  float mean[3] = {0, 0, 0}, std[3] = {1, 1, 1};
  int embedChannels = 0, embedH = 0, embedW = 0;  // C, h, w of fpn_feats_2
  int contextLength = 0;                          // L
  int textFeatures = 0;                           // T
  int queries = 0;                                // Q
  int maskSize = 0;                               // m
  // The tracker path: the image encoder's extra outputs image_embeddings [1,C',h',w'],
  // high_res_feats_0 [1,32,4h',4w'], high_res_feats_1 [1,64,2h',2w'], and the engines that read them.
  bool tracker = false;
  int trackerChannels = 0, trackerH = 0, trackerW = 0;  // C', h', w'
  int trackerMaskSize = 0, trackerCandidates = 0;       // m', K
  std::string promptEncoder, maskDecoder;  // engine files; empty where the engine folder has none
};

struct DetectRequest {
  int slot = 0;
  const int64_t* inputIds = nullptr;       // batch × L
  const int64_t* attentionMask = nullptr;  // batch × L
  int batch = 0;
  float threshold = 0.5f;      // on σ(logit)·σ(presence), compared with `>`
  int maxInstances = 100;      // kept queries per prompt, best first
  float maskThreshold = 0.5f;  // on σ(mask logit)
  int smoothness = 1;          // k of the per-instance close; 1 = none
  int originalH = 0, originalW = 0;
  // Instance masks the caller's memory budget allows; more kept queries than this: no masks are
  // made (masksSkipped), the caller refuses the call with the instance count.
  int64_t maxMasks = INT64_MAX;
};

// Milliseconds per stage measured with CUDA events on the pipeline's stream.
struct ConceptStageTimes : ImageStageTimes {
  float textEncoder = 0, detector = 0, postprocess = 0, download = 0;
};

struct DetectOutput {
  std::vector<float> logits;    // batch × Q
  std::vector<float> boxes;     // batch × Q × 4
  std::vector<float> presence;  // batch
  std::vector<int32_t> counts;  // kept queries per prompt
  std::vector<int32_t> kept;    // the kept queries, prompt after prompt, best first (sum of counts)
  std::vector<uint8_t> masks;   // sum(counts) × originalH × originalW, 0/1, in the order of `kept`
  bool masksSkipped = false;
  ConceptStageTimes times;
};

// The host rule of lib/families/sam3-concept.ts: queries with σ(logit)·σ(presence) > threshold,
// best first (ties by query order), at most maxInstances. Scores in double, as JavaScript does.
std::vector<int32_t> keptQueries(const float* logits, int queries, float presenceLogit, double threshold, int maxInstances);

// The image slots, encodeImage, releaseImage, maxPrompts and slotBytes come from PipelineBase.
class ConceptPipeline : public PipelineBase {
 public:
  // Loads the engines; throws TrtFailure (E_ENGINE_MISMATCH, E_GPU_OOM, E_CUDA, E_TENSORRT).
  explicit ConceptPipeline(const ConceptPipelineConfig& config);
  ~ConceptPipeline();
  ConceptPipeline(const ConceptPipeline&) = delete;
  ConceptPipeline& operator=(const ConceptPipeline&) = delete;

  int contextLength() const { return config_.contextLength; }
  int queries() const { return config_.queries; }

  DetectOutput detect(const DetectRequest& request);

 private:
  ConceptPipelineConfig config_;
  std::unique_ptr<Engine> textEncoder_, detector_;

  // Reused buffers, grown to the largest shape seen.
  PinnedBuffer hostIds_, hostSmall_, hostPlanes_, hostMasks_;
  DeviceBuffer ids_, attention_, textFeatures_, logits_, boxes_, maskLogits_, presence_, planes_, masks_,
      morphScratch_;
};

}  // namespace sam3clip::trt
