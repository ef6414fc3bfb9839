// sam3clip_openvino.node: the OpenVINO backend's module, a separate addon so that sam3clip.node
// loads everywhere and only this one needs libopenvino (shipped beside it in the prebuild).
//   openvinoVersion()  → the loaded runtime's build number
//   cpuDevice()        → { name, capabilities, bestPrecision } of OpenVINO's CPU plugin
//   OpenVinoGraph.compile(file, { precision, threads, blobPath }) → Promise<OpenVinoGraph>
//   graph.run(feeds)   → Promise<{ outputs: [{ dims, data: Float32Array }] in the order of graph.outputs, ms }>
//                        (feeds are keyed by any of an input's names)
// Inputs are read in place (no copy) while a run is in flight: the graph keeps a reference to each
// typed array until the run settles, and the library never writes to a tensor it has fed. Outputs
// come back as Float32Arrays over OpenVINO's own output memory, freed when JavaScript collects them.
#include <napi.h>

#include <memory>
#include <new>
#include <string>
#include <vector>

#include "args.h"
#include "compiled_graph.h"
#include "promise_worker.h"
#include "runtime.h"

namespace sam3clip::addon {
namespace {

namespace ovb = sam3clip::openvino;

struct Failure {
  std::string code, message;
};

template <typename Fn>
void capture(Failure& failure, const char* code, Fn&& fn) {
  try {
    fn();
  } catch (const std::bad_alloc&) {
    failure = {"E_OUT_OF_MEMORY", "host memory exhausted"};
  } catch (const std::exception& e) {
    failure = {code, e.what()};
  }
}

void throwIfFailed(Napi::Env env, const Failure& failure) {
  if (failure.code.empty()) return;
  Napi::Error error = Napi::Error::New(env, failure.message);
  error.Set("code", Napi::String::New(env, failure.code));
  throw error;
}

Napi::Array tensorInfos(Napi::Env env, const std::vector<ovb::TensorInfo>& list) {
  Napi::Array array = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", list[i].name);
    Napi::Array names = Napi::Array::New(env, list[i].names.size());
    for (size_t n = 0; n < list[i].names.size(); n++) names.Set(n, list[i].names[n]);
    o.Set("names", names);
    Napi::Array shape = Napi::Array::New(env, list[i].shape.size());
    for (size_t d = 0; d < list[i].shape.size(); d++) {
      // A dynamic axis reads as a name, as ONNX Runtime reports symbolic ones.
      if (list[i].shape[d] < 0)
        shape.Set(d, Napi::String::New(env, "?"));
      else
        shape.Set(d, Napi::Number::New(env, static_cast<double>(list[i].shape[d])));
    }
    o.Set("shape", shape);
    o.Set("type", list[i].type);
    array.Set(i, o);
  }
  return array;
}

// A float32 output as a Float32Array over the tensor's own memory. V8 is told how much memory
// the array holds, so it collects unused features as eagerly as its own buffers.
Napi::Value outputArray(Napi::Env env, const ov::Tensor& tensor) {
  const size_t bytes = tensor.get_byte_size();
  const size_t length = tensor.get_size();
  if (bytes == 0) return Napi::Float32Array::New(env, 0);
  auto* holder = new ov::Tensor(tensor);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, holder->data(), bytes, [bytes](Napi::Env e, void*, ov::Tensor* t) {
    delete t;
    Napi::MemoryManagement::AdjustExternalMemory(e, -static_cast<int64_t>(bytes));
  }, holder);
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
  return Napi::Float32Array::New(env, length, buffer, 0);
}

struct OpenVinoClasses {
  Napi::FunctionReference graph;
};

class GraphWrap : public Napi::ObjectWrap<GraphWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OpenVinoGraph",
                       {StaticMethod<&GraphWrap::Compile>("compile"), InstanceMethod<&GraphWrap::Run>("run"),
                        InstanceMethod<&GraphWrap::Close>("close"), InstanceAccessor<&GraphWrap::Inputs>("inputs"),
                        InstanceAccessor<&GraphWrap::Outputs>("outputs"),
                        InstanceAccessor<&GraphWrap::Precision>("inferencePrecision"),
                        InstanceAccessor<&GraphWrap::FromCache>("fromCache"),
                        InstanceAccessor<&GraphWrap::CacheNote>("cacheNote")});
  }

  GraphWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GraphWrap>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      throw Napi::TypeError::New(info.Env(), "use OpenVinoGraph.compile(file, options)");
    graph_ = *info[0].As<Napi::External<std::shared_ptr<ovb::CompiledGraph>>>().Data();
    inputs_ = graph_->inputs();
    outputs_ = graph_->outputs();
    precision_ = graph_->inferencePrecision();
    fromCache_ = graph_->fromCache();
    cacheNote_ = graph_->cacheNote();
  }

 private:
  static Napi::Value Compile(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      const std::string file = stringArg(info, 0, "file");
      if (info.Length() < 2 || !info[1].IsObject()) throw InvalidOption("options must be an object");
      Napi::Object o = info[1].As<Napi::Object>();
      ovb::GraphOptions options;
      if (!o.Get("precision").IsString()) throw InvalidOption("options.precision must be \"bf16\" or \"f32\"");
      options.precision = o.Get("precision").As<Napi::String>().Utf8Value();
      if (options.precision != "bf16" && options.precision != "f32")
        throw InvalidOption("options.precision must be \"bf16\" or \"f32\"");
      Napi::Value threads = o.Get("threads");
      if (!threads.IsUndefined()) {
        const double t = threads.IsNumber() ? threads.As<Napi::Number>().DoubleValue() : -1;
        if (!(t >= 0 && t <= 1024) || t != static_cast<int>(t)) throw InvalidOption("options.threads must be an integer in [0, 1024]");
        options.threads = static_cast<int>(t);
      }
      Napi::Value blob = o.Get("blobPath");
      if (!blob.IsUndefined() && !blob.IsNull()) {
        if (!blob.IsString()) throw InvalidOption("options.blobPath must be a string");
        options.blobPath = blob.As<Napi::String>().Utf8Value();
      }
      auto result = std::make_shared<std::shared_ptr<ovb::CompiledGraph>>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(),
          [=] { capture(*failure, "E_MODEL_FILE", [&] { *result = std::make_shared<ovb::CompiledGraph>(file, options); }); },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            throwIfFailed(env, *failure);
            auto* holder = new std::shared_ptr<ovb::CompiledGraph>(*result);
            auto external = Napi::External<std::shared_ptr<ovb::CompiledGraph>>::New(
                env, holder, [](Napi::Env, std::shared_ptr<ovb::CompiledGraph>* p) { delete p; });
            return env.GetInstanceData<OpenVinoClasses>()->graph.New({external});
          });
    });
  }

  // feeds: { [input name]: { dims: number[], data: Float32Array | BigInt64Array } }, one per input.
  Napi::Value Run(const Napi::CallbackInfo& info) {
    return promiseOrReject(info, [&]() -> Napi::Value {
      if (!graph_) throw InvalidOption("this OpenVINO graph is closed");
      if (info.Length() < 1 || !info[0].IsObject()) throw InvalidOption("feeds must be an object");
      Napi::Object feeds = info[0].As<Napi::Object>();
      auto views = std::make_shared<std::vector<ovb::InputView>>();
      auto keep = std::make_shared<std::vector<Napi::ObjectReference>>();
      if (feeds.GetPropertyNames().Length() != inputs_.size())
        throw InvalidOption("feeds must hold exactly the graph's " + std::to_string(inputs_.size()) + " inputs");
      for (size_t index = 0; index < inputs_.size(); index++) {
        const ovb::TensorInfo& input = inputs_[index];
        Napi::Value v;
        for (const std::string& name : input.names)
          if (feeds.HasOwnProperty(name)) v = feeds.Get(name);
        if (v.IsEmpty() || !v.IsObject()) throw InvalidOption("feed " + input.name + " is missing");
        Napi::Object feed = v.As<Napi::Object>();
        Napi::Value dimsValue = feed.Get("dims");
        Napi::Value dataValue = feed.Get("data");
        if (!dimsValue.IsArray() || !dataValue.IsTypedArray()) throw InvalidOption("feed " + input.name + " needs dims and data");
        Napi::Array dims = dimsValue.As<Napi::Array>();
        if (dims.Length() != input.shape.size())
          throw InvalidOption("feed " + input.name + " has rank " + std::to_string(dims.Length()) + ", the graph wants " +
                              std::to_string(input.shape.size()));
        ov::Shape shape;
        uint64_t count = 1;
        for (uint32_t d = 0; d < dims.Length(); d++) {
          Napi::Value dv = dims.Get(d);
          const double x = dv.IsNumber() ? dv.As<Napi::Number>().DoubleValue() : -1;
          if (!(x >= 0 && x <= 1e9) || x != static_cast<double>(static_cast<uint64_t>(x)))
            throw InvalidOption("feed " + input.name + ": dims must be non-negative integers");
          if (input.shape[d] >= 0 && static_cast<int64_t>(x) != input.shape[d])
            throw InvalidOption("feed " + input.name + ": axis " + std::to_string(d) + " is " + std::to_string(static_cast<int64_t>(x)) +
                                ", the graph wants " + std::to_string(input.shape[d]));
          shape.push_back(static_cast<size_t>(x));
          count *= static_cast<uint64_t>(x);
        }
        Napi::TypedArray data = dataValue.As<Napi::TypedArray>();
        ov::element::Type type;
        if (input.type == "f32" && data.TypedArrayType() == napi_float32_array)
          type = ov::element::f32;
        else if (input.type == "i64" && data.TypedArrayType() == napi_bigint64_array)
          type = ov::element::i64;
        else
          throw InvalidOption("feed " + input.name + " must be a " + (input.type == "i64" ? "BigInt64Array" : "Float32Array") +
                              " (the graph's input is " + input.type + ")");
        if (data.ElementLength() != count)
          throw InvalidOption("feed " + input.name + " holds " + std::to_string(data.ElementLength()) + " values, its dims " +
                              std::to_string(count));
        auto* base = static_cast<uint8_t*>(data.ArrayBuffer().Data());
        if (base == nullptr && count > 0) throw InvalidOption("feed " + input.name + " is detached");
        views->push_back({index, type, shape, count > 0 ? base + data.ByteOffset() : nullptr});
        keep->push_back(Napi::Persistent(data.As<Napi::Object>()));
      }
      auto graph = graph_;
      auto result = std::make_shared<ovb::RunResult>();
      auto failure = std::make_shared<Failure>();
      return PromiseWorker::Start(
          info.Env(), [=] { capture(*failure, "E_MODEL_RUNTIME", [&] { *result = graph->run(*views); }); },
          [=](Napi::Env env, Napi::Value) -> Napi::Value {
            keep->clear();  // the inputs may be collected now
            throwIfFailed(env, *failure);
            Napi::Array outputs = Napi::Array::New(env, result->outputs.size());
            for (size_t i = 0; i < result->outputs.size(); i++) {
              const ov::Tensor& tensor = result->outputs[i];
              if (tensor.get_element_type() != ov::element::f32)
                throw Napi::Error::New(env, "output " + graph->outputs()[i].name + " is " + tensor.get_element_type().get_type_name() + ", not f32");
              Napi::Object t = Napi::Object::New(env);
              Napi::Array dims = Napi::Array::New(env, tensor.get_shape().size());
              for (size_t d = 0; d < tensor.get_shape().size(); d++) dims.Set(d, static_cast<double>(tensor.get_shape()[d]));
              t.Set("type", "float32");
              t.Set("dims", dims);
              t.Set("data", outputArray(env, tensor));
              outputs.Set(i, t);
            }
            result->outputs.clear();
            Napi::Object o = Napi::Object::New(env);
            o.Set("outputs", outputs);
            o.Set("ms", result->ms);
            return o;
          });
    });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    // A run in flight keeps its own reference; the compiled model goes with the last one.
    graph_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Inputs(const Napi::CallbackInfo& info) { return tensorInfos(info.Env(), inputs_); }
  Napi::Value Outputs(const Napi::CallbackInfo& info) { return tensorInfos(info.Env(), outputs_); }
  Napi::Value Precision(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), precision_); }
  Napi::Value FromCache(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), fromCache_); }
  Napi::Value CacheNote(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cacheNote_); }

  std::shared_ptr<ovb::CompiledGraph> graph_;
  std::vector<ovb::TensorInfo> inputs_, outputs_;
  std::string precision_, cacheNote_;
  bool fromCache_ = false;
};

Napi::Value OpenVinoVersion(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ovb::runtimeVersion()); }

Napi::Value CpuDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const ovb::CpuDevice device = ovb::cpuDevice();
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", device.name);
    Napi::Array caps = Napi::Array::New(env, device.capabilities.size());
    for (size_t i = 0; i < device.capabilities.size(); i++) caps.Set(i, device.capabilities[i]);
    o.Set("capabilities", caps);
    o.Set("bestPrecision", device.bestPrecision);
    return o;
  } catch (const std::exception& e) {
    Napi::Error error = Napi::Error::New(env, std::string("OpenVINO's CPU plugin did not load: ") + e.what());
    error.Set("code", Napi::String::New(env, "E_BACKEND_UNAVAILABLE"));
    throw error;
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, SAM3CLIP_VERSION));
  exports.Set("openvinoVersion", Napi::Function::New(env, OpenVinoVersion, "openvinoVersion"));
  exports.Set("cpuDevice", Napi::Function::New(env, CpuDevice, "cpuDevice"));
  auto* classes = new OpenVinoClasses();
  Napi::Function graph = GraphWrap::Define(env);
  classes->graph = Napi::Persistent(graph);
  env.SetInstanceData(classes);
  exports.Set("OpenVinoGraph", graph);
  return exports;
}

}  // namespace
}  // namespace sam3clip::addon

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return sam3clip::addon::Init(env, exports); }
}  // namespace

NODE_API_MODULE(sam3clip_openvino, InitModule)
