// postprocessInstanceMasks(logits, numMasks, maskSize, originalH, originalW, maskThreshold)
// → Promise<Uint8Array> of numMasks * originalH * originalW bytes (SAM3 instance masks:
// sigmoid, bilinear resize of the probabilities, > maskThreshold).
#include <memory>

#include "args.h"
#include "bindings.h"
#include "instance_masks.h"
#include "promise_worker.h"

namespace sam3clip::addon {
namespace {

Napi::Value instanceMasksBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    InstanceMaskGeometry g;
    g.numMasks = integerArg(info, 1, "numMasks", 1, 4096);
    g.maskSize = integerArg(info, 2, "maskSize", 1, 4096);
    g.originalH = integerArg(info, 3, "originalH", 1, 1 << 30);
    g.originalW = integerArg(info, 4, "originalW", 1, 1 << 30);
    g.maskThreshold = floatArg(info, 5, "maskThreshold", 0.0, 1.0);
    const uint64_t plane = pixelCount(g.originalW, g.originalH, "original size");
    if (plane * g.numMasks > kMaxPixels) throw InvalidOption("numMasks * originalH * originalW exceeds 2^31 bytes");
    const uint64_t logitsLength = static_cast<uint64_t>(g.numMasks) * g.maskSize * g.maskSize;
    auto logits = std::make_shared<std::vector<float>>(copyFloat32Array(info, 0, "logits", logitsLength));
    auto output = Napi::Uint8Array::New(info.Env(), plane * g.numMasks);
    uint8_t* out = output.Data();
    return PromiseWorker::Start(
        info.Env(), [=] { postprocessInstanceMasks(logits->data(), g, out); },
        [](Napi::Env, Napi::Value result) { return result; }, output);
  });
}

}  // namespace

void initInstanceMasks(Napi::Env env, Napi::Object exports) {
  exports.Set("postprocessInstanceMasks", Napi::Function::New(env, instanceMasksBinding, "postprocessInstanceMasks"));
}

}  // namespace sam3clip::addon
