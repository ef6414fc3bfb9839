// capabilities(): what this build of the addon can accelerate. CPU-only builds report null for
// both; builds with SAM3CLIP_HAS_CUDA / SAM3CLIP_HAS_TENSORRT (see CMakeLists.txt) will report
// the CUDA devices and TensorRT version here once native/cuda and native/tensorrt exist.
#include "bindings.h"

namespace sam3clip::addon {
namespace {

Napi::Value capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object caps = Napi::Object::New(env);
  caps.Set("cuda", env.Null());
  caps.Set("tensorrt", env.Null());
  return caps;
}

}  // namespace

void initCapabilities(Napi::Env env, Napi::Object exports) {
  exports.Set("capabilities", Napi::Function::New(env, capabilities, "capabilities"));
}

}  // namespace sam3clip::addon
