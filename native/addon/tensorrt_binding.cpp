// TensorRtPipeline: the GPU pipeline (native/tensorrt/pipeline.h) as a JavaScript class.
//   TensorRtPipeline.open(config) → Promise<TensorRtPipeline>
//   pipeline.encodeImage(rgb, width, height) → Promise<{ slot, times }>
//   pipeline.segment(slot, inputIds, attentionMask|null, batch, threshold, smoothness,
//                    resizedH, resizedW, originalH, originalW) → Promise<{ masks, iou, index, passed, times }>
//   pipeline.releaseImage(slot) → Promise<void>;  pipeline.close() → Promise<void>
// Every call runs on the libuv pool; jobs hold the pipeline by shared_ptr, so close() while a
// call is in flight frees the GPU memory only after that call ends. Failures reject with an
// Error whose code is the TrtFailure / CudaFailure code (E_ENGINE_MISMATCH, E_GPU_OOM, E_CUDA,
// E_TENSORRT, E_INVALID_OPTION).
#include <memory>
#include <string>

#include "args.h"
#include "bindings.h"
#include "cuda_check.h"
#include "morphology.h"
#include "pipeline.h"
#include "promise_worker.h"

namespace sam3clip::addon {
namespace {

using trt::Pipeline;
using trt::PipelineConfig;
using trt::StageTimes;
using trt::TrtFailure;

// What a job failed with, carried to the JS thread where the Error is built.
struct Failure {
  std::string code, message;
};

template <typename Fn>
void capture(Failure& failure, Fn&& fn) {
  try {
    fn();
  } catch (const TrtFailure& e) {
    failure = {e.code, e.what()};
  } catch (const CudaFailure& e) {
    failure = {e.code, e.what()};
  } catch (const std::bad_alloc&) {
    failure = {"E_OUT_OF_MEMORY", "host memory exhausted"};
  } catch (const std::exception& e) {
    failure = {"E_TENSORRT", e.what()};
  }
}

void throwIfFailed(Napi::Env env, const Failure& failure) {
  if (failure.code.empty()) return;
  Napi::Error error = Napi::Error::New(env, failure.message);
  error.Set("code", Napi::String::New(env, failure.code));
  throw error;
}

Napi::Object timesObject(Napi::Env env, const StageTimes& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("upload", t.upload);
  o.Set("preprocess", t.preprocess);
  o.Set("imageEncoder", t.imageEncoder);
  o.Set("textEncoder", t.textEncoder);
  o.Set("textProjection", t.textProjection);
  o.Set("maskDecoder", t.maskDecoder);
  o.Set("postprocess", t.postprocess);
  o.Set("download", t.download);
  return o;
}

int intField(const Napi::Object& o, const char* name, int64_t min, int64_t max) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw InvalidOption(std::string("config.") + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<int64_t>(d)))
    throw InvalidOption(std::string("config.") + name + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
  return static_cast<int>(d);
}

std::string stringField(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsString()) throw InvalidOption(std::string("config.") + name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

void tripleField(const Napi::Object& o, const char* name, float out[3]) {
  Napi::Value v = o.Get(name);
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) throw InvalidOption(std::string("config.") + name + " must be 3 numbers");
  for (uint32_t i = 0; i < 3; i++) {
    Napi::Value e = v.As<Napi::Array>().Get(i);
    if (!e.IsNumber()) throw InvalidOption(std::string("config.") + name + " must be 3 numbers");
    out[i] = e.As<Napi::Number>().FloatValue();
  }
}

PipelineConfig parseConfig(const Napi::Object& o) {
  PipelineConfig c;
  c.imageEncoder = stringField(o, "imageEncoder");
  c.textEncoder = stringField(o, "textEncoder");
  c.textProjection = stringField(o, "textProjection");
  c.maskDecoder = stringField(o, "maskDecoder");
  c.rebuildHint = stringField(o, "rebuildHint");
  c.device = intField(o, "device", 0, 1023);
  c.imageSize = intField(o, "imageSize", 1, 8192);
  tripleField(o, "mean", c.mean);
  tripleField(o, "std", c.std);
  c.embedChannels = intField(o, "embedChannels", 1, 1 << 16);
  c.embedH = intField(o, "embedH", 1, 8192);
  c.embedW = intField(o, "embedW", 1, 8192);
  c.highResFeatures = o.Get("highResFeatures").ToBoolean();
  c.contextLength = intField(o, "contextLength", 1, 4096);
  c.attentionMask = o.Get("attentionMask").ToBoolean();
  c.textDim = intField(o, "textDim", 1, 1 << 16);
  c.promptTokens = intField(o, "promptTokens", 1, 1024);
  c.promptDim = intField(o, "promptDim", 1, 1 << 16);
  c.maskSize = intField(o, "maskSize", 1, 8192);
  c.candidates = intField(o, "candidates", 1, 64);
  return c;
}

std::vector<int64_t> copyBigInt64Array(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t length) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array)
    throw InvalidOption(std::string(name) + " must be a BigInt64Array");
  auto a = v.As<Napi::BigInt64Array>();
  if (a.ElementLength() != length)
    throw InvalidOption(std::string(name) + " must hold " + std::to_string(length) + " values, got " + std::to_string(a.ElementLength()));
  return std::vector<int64_t>(a.Data(), a.Data() + length);
}

class TensorRtPipeline : public Napi::ObjectWrap<TensorRtPipeline> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TensorRtPipeline",
                       {StaticMethod<&TensorRtPipeline::Open>("open"),
                        InstanceMethod<&TensorRtPipeline::EncodeImage>("encodeImage"),
                        InstanceMethod<&TensorRtPipeline::Segment>("segment"),
                        InstanceMethod<&TensorRtPipeline::ReleaseImage>("releaseImage"),
                        InstanceMethod<&TensorRtPipeline::Close>("close"),
                        InstanceAccessor<&TensorRtPipeline::MaxPrompts>("maxPrompts"),
                        InstanceAccessor<&TensorRtPipeline::SlotBytes>("slotBytes")});
  }

  TensorRtPipeline(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorRtPipeline>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      throw Napi::TypeError::New(info.Env(), "use TensorRtPipeline.open(config)");
    pipeline_ = *info[0].As<Napi::External<std::shared_ptr<Pipeline>>>().Data();
  }

 private:
  static Napi::Value Open(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsObject()) throw InvalidOption("config must be an object");
      PipelineConfig config = parseConfig(info[0].As<Napi::Object>());
      auto result = std::make_shared<std::shared_ptr<Pipeline>>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(), [=] { capture(*failure, [&] { *result = std::make_shared<Pipeline>(config); }); },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            throwIfFailed(env, *failure);
            auto* holder = new std::shared_ptr<Pipeline>(*result);
            auto external = Napi::External<std::shared_ptr<Pipeline>>::New(
                env, holder, [](Napi::Env, std::shared_ptr<Pipeline>* p) { delete p; });
            return env.GetInstanceData<Napi::FunctionReference>()->New({external});
          });
    });
  }

  std::shared_ptr<Pipeline> live() const {
    if (!pipeline_) throw InvalidOption("this TensorRT pipeline is closed");
    return pipeline_;
  }

  Napi::Value EncodeImage(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      auto pipeline = live();
      const int width = integerArg(info, 1, "width", 1, 8192);
      const int height = integerArg(info, 2, "height", 1, 8192);
      auto rgb = std::make_shared<std::vector<uint8_t>>(copyUint8Array(info, 0, "rgb", pixelCount(width, height, "rgb") * 3));
      auto slot = std::make_shared<int>(0);
      auto times = std::make_shared<StageTimes>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(), [=] { capture(*failure, [&] { *slot = pipeline->encodeImage(rgb->data(), width, height, *times); }); },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            throwIfFailed(env, *failure);
            Napi::Object o = Napi::Object::New(env);
            o.Set("slot", *slot);
            o.Set("times", timesObject(env, *times));
            return o;
          });
    });
  }

  Napi::Value Segment(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      auto pipeline = live();
      trt::SegmentRequest r;
      r.slot = integerArg(info, 0, "slot", 1, INT32_MAX);
      r.batch = integerArg(info, 3, "batch", 1, pipeline->maxPrompts());
      Napi::Value thresholdValue = info[4];
      if (!thresholdValue.IsNumber()) throw InvalidOption("threshold must be a number");
      r.threshold = thresholdValue.As<Napi::Number>().FloatValue();
      r.smoothness = integerArg(info, 5, "smoothness", 1, kMaxMorphKernel);
      r.resizedH = integerArg(info, 6, "resizedH", 1, 8192);
      r.resizedW = integerArg(info, 7, "resizedW", 1, 8192);
      r.originalH = integerArg(info, 8, "originalH", 1, 1 << 30);
      r.originalW = integerArg(info, 9, "originalW", 1, 1 << 30);
      const uint64_t pixels = pixelCount(r.originalW, r.originalH, "mask");
      if (pixels * static_cast<uint64_t>(r.batch) > kMaxPixels) throw InvalidOption("the masks of one call exceed 2^31 bytes");
      const uint64_t tokens = static_cast<uint64_t>(r.batch) * static_cast<uint64_t>(pipeline->contextLength());
      auto ids = std::make_shared<std::vector<int64_t>>(copyBigInt64Array(info, 1, "inputIds", tokens));
      auto mask = std::make_shared<std::vector<int64_t>>();
      if (!info[2].IsNull() && !info[2].IsUndefined()) *mask = copyBigInt64Array(info, 2, "attentionMask", tokens);
      auto out = std::make_shared<trt::SegmentOutput>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(),
          [=] {
            capture(*failure, [&] {
              trt::SegmentRequest req = r;
              req.inputIds = ids->data();
              req.attentionMask = mask->empty() ? nullptr : mask->data();
              *out = pipeline->segment(req);
            });
          },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            throwIfFailed(env, *failure);
            Napi::Object o = Napi::Object::New(env);
            auto masks = Napi::Uint8Array::New(env, out->masks.size());
            std::copy(out->masks.begin(), out->masks.end(), masks.Data());
            auto iou = Napi::Float32Array::New(env, out->iou.size());
            std::copy(out->iou.begin(), out->iou.end(), iou.Data());
            auto index = Napi::Int32Array::New(env, out->index.size());
            std::copy(out->index.begin(), out->index.end(), index.Data());
            auto passed = Napi::Uint8Array::New(env, out->passed.size());
            std::copy(out->passed.begin(), out->passed.end(), passed.Data());
            o.Set("masks", masks);
            o.Set("iou", iou);
            o.Set("index", index);
            o.Set("passed", passed);
            o.Set("times", timesObject(env, out->times));
            return o;
          });
    });
  }

  Napi::Value ReleaseImage(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      const int slot = integerArg(info, 0, "slot", 1, INT32_MAX);
      auto pipeline = pipeline_;  // releasing after close() is a no-op
      return PromiseWorker::Start(
          info.Env(), [=] { if (pipeline) pipeline->releaseImage(slot); },
          [](Napi::Env env, Napi::Value) -> Napi::Value { return env.Undefined(); });
    });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    // The last shared_ptr (this one, or a job's) frees the engines and the GPU memory, on the
    // pool thread when a job holds it, so the JS thread never waits for the device.
    auto pipeline = std::move(pipeline_);
    return PromiseWorker::Start(
        info.Env(), [pipeline]() mutable { pipeline.reset(); },
        [](Napi::Env env, Napi::Value) -> Napi::Value { return env.Undefined(); });
  }

  Napi::Value MaxPrompts(const Napi::CallbackInfo& info) {
    return pipeline_ ? Napi::Number::New(info.Env(), pipeline_->maxPrompts()) : info.Env().Undefined();
  }
  Napi::Value SlotBytes(const Napi::CallbackInfo& info) {
    return pipeline_ ? Napi::Number::New(info.Env(), static_cast<double>(pipeline_->slotBytes())) : info.Env().Undefined();
  }

  std::shared_ptr<Pipeline> pipeline_;
};

}  // namespace

Napi::Value tensorRtCapability(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", trt::runtimeVersion());
  o.Set("headerVersion", trt::headerVersion());
  o.Set("lean", trt::isLeanRuntime());
  return o;
}

void initTensorRt(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = TensorRtPipeline::Define(env);
  // Per environment (main thread, worker threads), freed with it.
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(cls)));
  exports.Set("TensorRtPipeline", cls);
}

}  // namespace sam3clip::addon
