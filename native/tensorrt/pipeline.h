// The GPU pipeline of one segmenter: four engines (five with the prompt encoder), one CUDA
// stream, image features kept in device memory per image slot, and the text path (text tower →
// projection → decoder → candidate selection → post-processing → morphology) chained on the
// device, so only the final masks and the scores come back to the host. Points and boxes run
// through PipelineBase::runInteractive on the same decoder.
#pragma once
#include <cuda_runtime_api.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device_buffer.h"
#include "engine.h"
#include "image_slots.h"
#include "pipeline_base.h"

namespace sam3clip::trt {

struct PipelineConfig {
  std::string imageEncoder, textEncoder, textProjection, maskDecoder;  // engine files
  std::string promptEncoder;  // engine file; empty where the engine folder has none
  std::string rebuildHint;  // ends every E_ENGINE_MISMATCH message
  int device = 0;
  int imageSize = 0;                      // S
  float mean[3] = {0, 0, 0}, std[3] = {1, 1, 1};
  int embedChannels = 0, embedH = 0, embedW = 0;
  bool highResFeatures = false;
  int contextLength = 0;  // L
  bool attentionMask = false;
  int textDim = 0, promptTokens = 0, promptDim = 0;  // D, N, P
  int maskSize = 0, candidates = 0;                  // m, K
};

struct SegmentRequest {
  int slot = 0;
  const int64_t* inputIds = nullptr;       // batch × L
  const int64_t* attentionMask = nullptr;  // batch × L, or null
  int batch = 0;
  float threshold = 0.5f;
  int smoothness = 1;  // k of the close; 1 = none
  int resizedH = 0, resizedW = 0, originalH = 0, originalW = 0;
};

// Milliseconds per stage measured with CUDA events on the pipeline's stream.
struct StageTimes : ImageStageTimes {
  float textEncoder = 0, textProjection = 0, maskDecoder = 0, postprocess = 0, download = 0;
};

struct SegmentOutput {
  std::vector<uint8_t> masks;    // batch × originalH × originalW, 0/1
  std::vector<float> iou;        // batch × K
  std::vector<int32_t> index;    // selected candidate per prompt
  std::vector<uint8_t> passed;   // 1 when a candidate passed the threshold
  StageTimes times;
};

// The image slots, encodeImage, releaseImage, maxPrompts and slotBytes come from PipelineBase.
class Pipeline : public PipelineBase {
 public:
  // Loads the engines; throws TrtFailure (E_ENGINE_MISMATCH, E_GPU_OOM, E_CUDA, E_TENSORRT).
  explicit Pipeline(const PipelineConfig& config);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  int contextLength() const { return config_.contextLength; }

  SegmentOutput segment(const SegmentRequest& request);

 private:
  PipelineConfig config_;
  std::unique_ptr<Engine> textEncoder_, textProjection_;  // the decoder is interactive_'s

  // Reused buffers, grown to the largest shape seen.
  PinnedBuffer hostIds_, hostMasks_, hostScores_;
  DeviceBuffer ids_, attention_, textEmbeds_, promptEmbeds_, lowres_, iou_, index_, passed_, masks_,
      smoothed_, morphScratch_;
};

}  // namespace sam3clip::trt
