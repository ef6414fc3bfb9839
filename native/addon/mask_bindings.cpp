// maskStats(mask, width, height) and encodeRle(mask, width, height).
#include <memory>

#include "args.h"
#include "bindings.h"
#include "mask_stats.h"
#include "promise_worker.h"

namespace sam3clip::addon {
namespace {

constexpr int kMaxSide = 1 << 30;

struct MaskArgs {
  int width, height;
  std::vector<uint8_t> data;
};

MaskArgs readMask(const Napi::CallbackInfo& info) {
  MaskArgs m;
  m.width = integerArg(info, 1, "width", 1, kMaxSide);
  m.height = integerArg(info, 2, "height", 1, kMaxSide);
  m.data = copyUint8Array(info, 0, "mask", pixelCount(m.width, m.height, "mask"));
  return m;
}

Napi::Value maskStatsBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    auto mask = std::make_shared<MaskArgs>(readMask(info));
    auto stats = std::make_shared<MaskStats>();
    return PromiseWorker::Start(
        info.Env(), [mask, stats] { *stats = maskStats(mask->data.data(), mask->width, mask->height); },
        [stats](Napi::Env env, Napi::Value) -> Napi::Value {
          Napi::Object result = Napi::Object::New(env);
          result.Set("area", Napi::Number::New(env, static_cast<double>(stats->area)));
          Napi::Array bbox = Napi::Array::New(env, 4);
          for (uint32_t i = 0; i < 4; i++) bbox.Set(i, Napi::Number::New(env, stats->bbox[i]));
          result.Set("bbox", bbox);
          return result;
        });
  });
}

Napi::Value encodeRleBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    auto mask = std::make_shared<MaskArgs>(readMask(info));
    auto counts = std::make_shared<std::vector<uint32_t>>();
    return PromiseWorker::Start(
        info.Env(), [mask, counts] { *counts = encodeRle(mask->data.data(), mask->width, mask->height); },
        [counts](Napi::Env env, Napi::Value) -> Napi::Value {
          // The run count is only known afterwards, so the result is copied out here.
          auto array = Napi::Uint32Array::New(env, counts->size());
          std::copy(counts->begin(), counts->end(), array.Data());
          return array;
        });
  });
}

}  // namespace

void initMaskBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("maskStats", Napi::Function::New(env, maskStatsBinding, "maskStats"));
  exports.Set("encodeRle", Napi::Function::New(env, encodeRleBinding, "encodeRle"));
}

}  // namespace sam3clip::addon
