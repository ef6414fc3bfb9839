// TensorRtPipeline: the GPU pipeline (native/tensorrt/pipeline.h) as a JavaScript class.
//   TensorRtPipeline.open(config) → Promise<TensorRtPipeline>
//   pipeline.encodeImage(rgb, width, height) → Promise<{ slot, times }>
//   pipeline.segment(slot, inputIds, attentionMask|null, batch, threshold, smoothness,
//                    resizedH, resizedW, originalH, originalW) → Promise<{ masks, iou, index, passed, times }>
//   pipeline.runInteractive(slot, graph, feeds) → Promise<{ outputs: { name: { dims, data } }, times: { run } }>
//     graph 'prompt_encoder' or 'mask_decoder'; feeds { name: { type: 'float32'|'int64', dims, data } }
//     (Float32Array or BigInt64Array); the slot's features feed the mask decoder's image inputs
//   pipeline.interactiveBatch: prompts one runInteractive takes at most, 0 without a prompt encoder
//   pipeline.releaseImage(slot) → Promise<void>;  pipeline.close() → Promise<void>
// Every call runs on the libuv pool; jobs hold the pipeline by shared_ptr, so close() while a
// call is in flight frees the GPU memory only after that call ends. Failures reject with an
// Error whose code is the TrtFailure / CudaFailure code (E_ENGINE_MISMATCH, E_GPU_OOM, E_CUDA,
// E_TENSORRT, E_INVALID_OPTION).
//
// TensorRtConceptPipeline: the sam3-concept GPU pipeline (native/tensorrt/concept_pipeline.h).
//   TensorRtConceptPipeline.open(config) → Promise<TensorRtConceptPipeline>
//   pipeline.encodeImage(rgb, width, height) → Promise<{ slot, times }>
//   pipeline.detect(slot, inputIds, attentionMask, batch, threshold, maxInstances, maskThreshold,
//                   smoothness, originalH, originalW, maxMasks)
//     → Promise<{ logits, boxes, presence, counts, kept, masks, masksSkipped, times }>
//   pipeline.runInteractive, pipeline.interactiveBatch: as above, on a package with the tracker path
//   pipeline.releaseImage(slot) → Promise<void>;  pipeline.close() → Promise<void>
// Same conventions as TensorRtPipeline.
#include <memory>
#include <string>

#include "args.h"
#include "bindings.h"
#include "concept_pipeline.h"
#include "cuda_check.h"
#include "interactive_graphs.h"
#include "morphology.h"
#include "pipeline.h"
#include "promise_worker.h"

namespace sam3clip::addon {
namespace {

using trt::ConceptPipeline;
using trt::ConceptPipelineConfig;
using trt::ConceptStageTimes;
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

// The image stages, the first keys of both pipelines' times.
Napi::Object imageTimesObject(Napi::Env env, const trt::ImageStageTimes& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("upload", t.upload);
  o.Set("preprocess", t.preprocess);
  o.Set("imageEncoder", t.imageEncoder);
  return o;
}

Napi::Object timesObject(Napi::Env env, const StageTimes& t) {
  Napi::Object o = imageTimesObject(env, t);
  o.Set("textEncoder", t.textEncoder);
  o.Set("textProjection", t.textProjection);
  o.Set("maskDecoder", t.maskDecoder);
  o.Set("postprocess", t.postprocess);
  o.Set("download", t.download);
  return o;
}

// The constructors of both pipeline classes, per environment (main thread, worker threads).
struct TensorRtClasses {
  Napi::FunctionReference pipeline, conceptPipeline;
};

Napi::Object timesObject(Napi::Env env, const ConceptStageTimes& t) {
  Napi::Object o = imageTimesObject(env, t);
  o.Set("textEncoder", t.textEncoder);
  o.Set("detector", t.detector);
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

// An engine file the folder may lack: "" when the field is absent.
std::string optionalStringField(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  return v.IsUndefined() || v.IsNull() ? std::string() : stringField(o, name);
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

// The fields both pipeline configs have, from rebuildHint to embedW, in this order (the first
// bad one is the one reported).
template <typename Config>
void parseImageFields(const Napi::Object& o, Config& c) {
  c.rebuildHint = stringField(o, "rebuildHint");
  c.device = intField(o, "device", 0, 1023);
  c.imageSize = intField(o, "imageSize", 1, 8192);
  tripleField(o, "mean", c.mean);
  tripleField(o, "std", c.std);
  c.embedChannels = intField(o, "embedChannels", 1, 1 << 16);
  c.embedH = intField(o, "embedH", 1, 8192);
  c.embedW = intField(o, "embedW", 1, 8192);
}

PipelineConfig parseConfig(const Napi::Object& o) {
  PipelineConfig c;
  c.imageEncoder = stringField(o, "imageEncoder");
  c.textEncoder = stringField(o, "textEncoder");
  c.textProjection = stringField(o, "textProjection");
  c.maskDecoder = stringField(o, "maskDecoder");
  c.promptEncoder = optionalStringField(o, "promptEncoder");
  parseImageFields(o, c);
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

// runInteractive's feeds, copied so the worker never reads memory JavaScript may change meanwhile.
// Only the JavaScript side is checked here; the pipeline checks names, shapes and sizes against the
// graph (InteractiveGraphs::run).
std::vector<trt::HostTensor> copyFeeds(const Napi::Value& value) {
  if (!value.IsObject() || value.IsArray()) throw InvalidOption("feeds must be an object of tensors");
  const Napi::Object feeds = value.As<Napi::Object>();
  const Napi::Array names = feeds.GetPropertyNames();
  std::vector<trt::HostTensor> out;
  for (uint32_t i = 0; i < names.Length(); i++) {
    trt::HostTensor t;
    t.name = names.Get(i).ToString().Utf8Value();
    const std::string what = "feeds." + t.name;
    Napi::Value tensor = feeds.Get(t.name);
    if (!tensor.IsObject()) throw InvalidOption(what + " must be { type, dims, data }");
    const Napi::Object o = tensor.As<Napi::Object>();
    Napi::Value dims = o.Get("dims");
    if (!dims.IsArray() || dims.As<Napi::Array>().Length() > 8) throw InvalidOption(what + ".dims must be an array of at most 8 sizes");
    for (uint32_t d = 0; d < dims.As<Napi::Array>().Length(); d++) {
      Napi::Value size = dims.As<Napi::Array>().Get(d);
      const double v = size.IsNumber() ? size.As<Napi::Number>().DoubleValue() : -1;
      if (!(v >= 1 && v <= (1 << 30)) || v != static_cast<double>(static_cast<int64_t>(v)))
        throw InvalidOption(what + ".dims must be integers from 1 to 2^30");
      t.dims.push_back(static_cast<int64_t>(v));
    }
    Napi::Value type = o.Get("type"), data = o.Get("data");
    const std::string typeName = type.IsString() ? type.As<Napi::String>().Utf8Value() : "";
    napi_typedarray_type wanted;
    if (typeName == "float32") {
      t.type = nvinfer1::DataType::kFLOAT;
      wanted = napi_float32_array;
    } else if (typeName == "int64") {
      t.type = nvinfer1::DataType::kINT64;
      wanted = napi_bigint64_array;
    } else {
      throw InvalidOption(what + ".type must be float32 or int64");
    }
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != wanted)
      throw InvalidOption(what + ".data must be a " + (wanted == napi_float32_array ? "Float32Array" : "BigInt64Array"));
    const Napi::TypedArray array = data.As<Napi::TypedArray>();
    const auto* bytes = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    t.bytes.assign(bytes, bytes + array.ByteLength());
    out.push_back(std::move(t));
  }
  return out;
}

Napi::Object interactiveObject(Napi::Env env, const trt::InteractiveOutput& out) {
  Napi::Object outputs = Napi::Object::New(env);
  for (const auto& [name, tensor] : out.outputs) {
    Napi::Object t = Napi::Object::New(env);
    Napi::Array dims = Napi::Array::New(env, tensor.dims.size());
    for (size_t i = 0; i < tensor.dims.size(); i++) dims.Set(static_cast<uint32_t>(i), static_cast<double>(tensor.dims[i]));
    auto data = Napi::Float32Array::New(env, tensor.data.size());
    std::copy(tensor.data.begin(), tensor.data.end(), data.Data());
    t.Set("dims", dims);
    t.Set("data", data);
    outputs.Set(name, t);
  }
  Napi::Object times = Napi::Object::New(env);
  times.Set("run", out.ms);
  Napi::Object o = Napi::Object::New(env);
  o.Set("outputs", outputs);
  o.Set("times", times);
  return o;
}

// A pipeline class as a JavaScript class: open/encodeImage/runInteractive/releaseImage/close and
// the accessors are the same for both pipelines; Traits names the class and adds its prompt call
// (segment or detect).
template <typename Traits>
class PipelineWrap : public Napi::ObjectWrap<PipelineWrap<Traits>> {
 public:
  using P = typename Traits::Pipeline;

  static Napi::Function Define(Napi::Env env) {
    return PipelineWrap::DefineClass(env, Traits::kName,
                                     {PipelineWrap::template StaticMethod<&PipelineWrap::Open>("open"),
                                      PipelineWrap::template InstanceMethod<&PipelineWrap::EncodeImage>("encodeImage"),
                                      PipelineWrap::template InstanceMethod<&PipelineWrap::Prompt>(Traits::kPromptMethod),
                                      PipelineWrap::template InstanceMethod<&PipelineWrap::RunInteractive>("runInteractive"),
                                      PipelineWrap::template InstanceMethod<&PipelineWrap::ReleaseImage>("releaseImage"),
                                      PipelineWrap::template InstanceMethod<&PipelineWrap::Close>("close"),
                                      PipelineWrap::template InstanceAccessor<&PipelineWrap::MaxPrompts>("maxPrompts"),
                                      PipelineWrap::template InstanceAccessor<&PipelineWrap::SlotBytes>("slotBytes"),
                                      PipelineWrap::template InstanceAccessor<&PipelineWrap::InteractiveBatch>("interactiveBatch")});
  }

  PipelineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PipelineWrap>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      throw Napi::TypeError::New(info.Env(), std::string("use ") + Traits::kName + ".open(config)");
    pipeline_ = *info[0].template As<Napi::External<std::shared_ptr<P>>>().Data();
  }

 private:
  static Napi::Value Open(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsObject()) throw InvalidOption("config must be an object");
      auto config = Traits::parseConfig(info[0].As<Napi::Object>());
      auto result = std::make_shared<std::shared_ptr<P>>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(), [=] { capture(*failure, [&] { *result = std::make_shared<P>(config); }); },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            throwIfFailed(env, *failure);
            auto* holder = new std::shared_ptr<P>(*result);
            auto external =
                Napi::External<std::shared_ptr<P>>::New(env, holder, [](Napi::Env, std::shared_ptr<P>* p) { delete p; });
            return Traits::constructor(*env.GetInstanceData<TensorRtClasses>()).New({external});
          });
    });
  }

  std::shared_ptr<P> live() const {
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
      auto times = std::make_shared<typename Traits::Times>();
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

  Napi::Value Prompt(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value { return Traits::prompt(info, live()); });
  }

  Napi::Value RunInteractive(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      auto pipeline = live();
      const int slot = integerArg(info, 0, "slot", 1, INT32_MAX);
      const std::string graph = stringArg(info, 1, "graph");
      auto feeds = std::make_shared<std::vector<trt::HostTensor>>(copyFeeds(info[2]));
      auto out = std::make_shared<trt::InteractiveOutput>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(), [=] { capture(*failure, [&] { *out = pipeline->runInteractive(slot, graph, *feeds); }); },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            throwIfFailed(env, *failure);
            return interactiveObject(env, *out);
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
  Napi::Value InteractiveBatch(const Napi::CallbackInfo& info) {
    return pipeline_ ? Napi::Number::New(info.Env(), pipeline_->interactiveBatch()) : info.Env().Undefined();
  }

  std::shared_ptr<P> pipeline_;
};

struct TrackerTraits {
  using Pipeline = trt::Pipeline;
  using Times = StageTimes;
  static constexpr const char* kName = "TensorRtPipeline";
  static constexpr const char* kPromptMethod = "segment";
  static PipelineConfig parseConfig(const Napi::Object& o) { return addon::parseConfig(o); }
  static Napi::FunctionReference& constructor(TensorRtClasses& classes) { return classes.pipeline; }

  static Napi::Value prompt(const Napi::CallbackInfo& info, std::shared_ptr<Pipeline> pipeline) {
    {
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
    }
  }

};

ConceptPipelineConfig parseConceptConfig(const Napi::Object& o) {
  ConceptPipelineConfig c;
  c.imageEncoder = stringField(o, "imageEncoder");
  c.textEncoder = stringField(o, "textEncoder");
  c.detector = stringField(o, "detector");
  parseImageFields(o, c);
  c.contextLength = intField(o, "contextLength", 1, 4096);
  c.textFeatures = intField(o, "textFeatures", 1, 1 << 16);
  c.queries = intField(o, "queries", 1, 1 << 16);
  c.maskSize = intField(o, "maskSize", 1, 8192);
  Napi::Value tracker = o.Get("tracker");
  if (!tracker.IsUndefined() && !tracker.IsNull()) {
    if (!tracker.IsObject()) throw InvalidOption("config.tracker must be an object");
    const Napi::Object t = tracker.As<Napi::Object>();
    c.tracker = true;
    c.trackerChannels = intField(t, "embedChannels", 1, 1 << 16);
    c.trackerH = intField(t, "embedH", 1, 8192);
    c.trackerW = intField(t, "embedW", 1, 8192);
    c.trackerMaskSize = intField(t, "maskSize", 1, 8192);
    c.trackerCandidates = intField(t, "candidates", 1, 64);
    c.promptEncoder = optionalStringField(o, "promptEncoder");
    c.maskDecoder = optionalStringField(o, "maskDecoder");
  }
  return c;
}

float floatArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsNumber()) throw InvalidOption(std::string(name) + " must be a number");
  return v.As<Napi::Number>().FloatValue();
}

template <typename T, typename Array>
Array typedArray(Napi::Env env, const std::vector<T>& values) {
  auto a = Array::New(env, values.size());
  std::copy(values.begin(), values.end(), a.Data());
  return a;
}

struct ConceptTraits {
  using Pipeline = trt::ConceptPipeline;
  using Times = ConceptStageTimes;
  static constexpr const char* kName = "TensorRtConceptPipeline";
  static constexpr const char* kPromptMethod = "detect";
  static ConceptPipelineConfig parseConfig(const Napi::Object& o) { return parseConceptConfig(o); }
  static Napi::FunctionReference& constructor(TensorRtClasses& classes) { return classes.conceptPipeline; }

  static Napi::Value prompt(const Napi::CallbackInfo& info, std::shared_ptr<ConceptPipeline> pipeline) {
    {
      trt::DetectRequest r;
      r.slot = integerArg(info, 0, "slot", 1, INT32_MAX);
      r.batch = integerArg(info, 3, "batch", 1, pipeline->maxPrompts());
      r.threshold = floatArg(info, 4, "threshold");
      r.maxInstances = integerArg(info, 5, "maxInstances", 1, INT32_MAX);
      r.maskThreshold = floatArg(info, 6, "maskThreshold");
      r.smoothness = integerArg(info, 7, "smoothness", 1, kMaxMorphKernel);
      r.originalH = integerArg(info, 8, "originalH", 1, 1 << 30);
      r.originalW = integerArg(info, 9, "originalW", 1, 1 << 30);
      r.maxMasks = integerArg(info, 10, "maxMasks", 0, INT32_MAX);
      const uint64_t pixels = pixelCount(r.originalW, r.originalH, "mask");
      // No call may bring back more than kMaxPixels bytes of masks.
      r.maxMasks = std::min<int64_t>(r.maxMasks, static_cast<int64_t>(kMaxPixels / pixels));
      const uint64_t tokens = static_cast<uint64_t>(r.batch) * static_cast<uint64_t>(pipeline->contextLength());
      auto ids = std::make_shared<std::vector<int64_t>>(copyBigInt64Array(info, 1, "inputIds", tokens));
      auto mask = std::make_shared<std::vector<int64_t>>(copyBigInt64Array(info, 2, "attentionMask", tokens));
      auto out = std::make_shared<trt::DetectOutput>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(),
          [=] {
            capture(*failure, [&] {
              trt::DetectRequest req = r;
              req.inputIds = ids->data();
              req.attentionMask = mask->data();
              *out = pipeline->detect(req);
            });
          },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            throwIfFailed(env, *failure);
            Napi::Object o = Napi::Object::New(env);
            o.Set("logits", typedArray<float, Napi::Float32Array>(env, out->logits));
            o.Set("boxes", typedArray<float, Napi::Float32Array>(env, out->boxes));
            o.Set("presence", typedArray<float, Napi::Float32Array>(env, out->presence));
            o.Set("counts", typedArray<int32_t, Napi::Int32Array>(env, out->counts));
            o.Set("kept", typedArray<int32_t, Napi::Int32Array>(env, out->kept));
            o.Set("masks", typedArray<uint8_t, Napi::Uint8Array>(env, out->masks));
            o.Set("masksSkipped", out->masksSkipped);
            o.Set("times", timesObject(env, out->times));
            return o;
          });
    }
  }

};

using TensorRtPipeline = PipelineWrap<TrackerTraits>;
using TensorRtConceptPipeline = PipelineWrap<ConceptTraits>;

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
  Napi::Function conceptCls = TensorRtConceptPipeline::Define(env);
  // Per environment (main thread, worker threads), freed with it.
  auto* classes = new TensorRtClasses();
  classes->pipeline = Napi::Persistent(cls);
  classes->conceptPipeline = Napi::Persistent(conceptCls);
  env.SetInstanceData(classes);
  exports.Set("TensorRtPipeline", cls);
  exports.Set("TensorRtConceptPipeline", conceptCls);
}

}  // namespace sam3clip::addon
