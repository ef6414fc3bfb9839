// Adapts TensorRT's IProgressMonitor (TensorRT >= 10) to a ProgressSink. Phases nest; the sink
// sees every phase, the tool shows the outermost one as its progress bar.
#pragma once
#include "engine_builder.h"

namespace sam3clip::trt {

class ProgressMonitor : public nvinfer1::IProgressMonitor {
 public:
  explicit ProgressMonitor(const ProgressSink& sink) : sink_(sink) {}
  void phaseStart(const char* phaseName, const char* /*parentPhase*/, int32_t nbSteps) noexcept override {
    steps_ = nbSteps;
    emit(phaseName, 0, nbSteps);
  }
  bool stepComplete(const char* phaseName, int32_t step) noexcept override {
    emit(phaseName, step + 1, steps_);
    return true;  // never cancel
  }
  void phaseFinish(const char* phaseName) noexcept override { emit(phaseName, -1, -1); }

 private:
  void emit(const char* phase, int step, int steps) noexcept {
    try {
      if (sink_) sink_(phase ? phase : "", step, steps);
    } catch (...) {
      // A failing sink must not unwind through TensorRT.
    }
  }
  const ProgressSink& sink_;
  int32_t steps_ = 0;
};

}  // namespace sam3clip::trt
