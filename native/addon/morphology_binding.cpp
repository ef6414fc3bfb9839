// morphology(mask, width, height, op, k) → Promise<Uint8Array>.
#include <memory>

#include "args.h"
#include "bindings.h"
#include "morphology.h"
#include "promise_worker.h"

namespace sam3clip::addon {
namespace {

Napi::Value morphologyBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    const int width = integerArg(info, 1, "width", 1, 1 << 30);
    const int height = integerArg(info, 2, "height", 1, 1 << 30);
    const uint64_t n = pixelCount(width, height, "mask");
    MorphOp op;
    const std::string name = stringArg(info, 3, "op");
    if (!parseMorphOp(name, op)) throw InvalidOption("op must be 'dilate', 'erode', 'open' or 'close', got '" + name + "'");
    const int k = integerArg(info, 4, "k", 1, kMaxMorphKernel);
    auto input = std::make_shared<std::vector<uint8_t>>(copyUint8Array(info, 0, "mask", n));
    auto output = Napi::Uint8Array::New(info.Env(), n);
    uint8_t* out = output.Data();
    return PromiseWorker::Start(
        info.Env(), [=] { morphology(input->data(), out, width, height, op, k); },
        [](Napi::Env, Napi::Value result) { return result; }, output);
  });
}

}  // namespace

void initMorphology(Napi::Env env, Napi::Object exports) {
  exports.Set("morphology", Napi::Function::New(env, morphologyBinding, "morphology"));
}

}  // namespace sam3clip::addon
