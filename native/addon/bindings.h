// Each binding area registers its exports on the module object.
#pragma once

#include <napi.h>

namespace sam3clip::addon {

void initCapabilities(Napi::Env env, Napi::Object exports);
void initInstanceMasks(Napi::Env env, Napi::Object exports);
void initMaskBindings(Napi::Env env, Napi::Object exports);
void initMorphology(Napi::Env env, Napi::Object exports);
void initPostprocess(Napi::Env env, Napi::Object exports);
void initPreprocess(Napi::Env env, Napi::Object exports);
#ifdef SAM3CLIP_HAS_TENSORRT
// The TensorRtPipeline class (tensorrt_binding.cpp), and capabilities().tensorrt.
void initTensorRt(Napi::Env env, Napi::Object exports);
Napi::Value tensorRtCapability(Napi::Env env);
#endif

}  // namespace sam3clip::addon
