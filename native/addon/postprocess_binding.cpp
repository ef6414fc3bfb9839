// postprocessMasks(lowres, numMasks, lowresSize, inputSize, resizedH, resizedW, originalH, originalW)
// → Promise<Uint8Array> of numMasks * originalH * originalW bytes.
#include <memory>

#include "args.h"
#include "bindings.h"
#include "postprocess.h"
#include "promise_worker.h"

namespace sam3clip::addon {
namespace {

Napi::Value postprocessBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    MaskGeometry g;
    g.numMasks = integerArg(info, 1, "numMasks", 1, 4096);
    g.lowresSize = integerArg(info, 2, "lowresSize", 1, 4096);
    g.inputSize = integerArg(info, 3, "inputSize", 1, 16384);
    g.resizedH = integerArg(info, 4, "resizedH", 1, g.inputSize);
    g.resizedW = integerArg(info, 5, "resizedW", 1, g.inputSize);
    g.originalH = integerArg(info, 6, "originalH", 1, 1 << 30);
    g.originalW = integerArg(info, 7, "originalW", 1, 1 << 30);
    const uint64_t plane = pixelCount(g.originalW, g.originalH, "original size");
    if (plane * g.numMasks > kMaxPixels) throw InvalidOption("numMasks * originalH * originalW exceeds 2^31 bytes");
    const uint64_t lowresLength = static_cast<uint64_t>(g.numMasks) * g.lowresSize * g.lowresSize;
    auto lowres = std::make_shared<std::vector<float>>(copyFloat32Array(info, 0, "lowres", lowresLength));
    auto output = Napi::Uint8Array::New(info.Env(), plane * g.numMasks);
    uint8_t* out = output.Data();
    return PromiseWorker::Start(
        info.Env(), [=] { postprocessMasks(lowres->data(), g, out); },
        [](Napi::Env, Napi::Value result) { return result; }, output);
  });
}

}  // namespace

void initPostprocess(Napi::Env env, Napi::Object exports) {
  exports.Set("postprocessMasks", Napi::Function::New(env, postprocessBinding, "postprocessMasks"));
}

}  // namespace sam3clip::addon
