// Module entry: the exports of sam3clip.node.
#include <napi.h>

#include "bindings.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace sam3clip::addon;
  exports.Set("version", Napi::String::New(env, SAM3CLIP_VERSION));
  initCapabilities(env, exports);
  initInstanceMasks(env, exports);
  initMaskBindings(env, exports);
  initMorphology(env, exports);
  initPostprocess(env, exports);
  initPreprocess(env, exports);
#ifdef SAM3CLIP_HAS_TENSORRT
  initTensorRt(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(sam3clip, Init)
