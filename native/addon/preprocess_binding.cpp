// normalizeToNchw(rgb, width, height, size, mean, std) → Promise<Float32Array> of 3 * size * size.
// upscaleRgb(rgb, width, height, outWidth, outHeight) → Promise<Uint8Array> of outWidth * outHeight * 3.
// resizeRgb(rgb, width, height, outWidth, outHeight, filter?) → Promise<Uint8Array> of outWidth * outHeight * 3;
// filter 'bilinear' (the default) or 'bicubic'.
#include <memory>

#include "args.h"
#include "bindings.h"
#include "preprocess.h"
#include "promise_worker.h"
#include "resize.h"
#include "upscale.h"

namespace sam3clip::addon {
namespace {

constexpr int kMaxInputSize = 8192;
// Source images reach resizeRgb at their original size: up to 64k on a side, 2^28 pixels.
constexpr int kMaxImageSide = 65535;
constexpr uint64_t kMaxImagePixels = uint64_t{1} << 28;

Napi::Value normalizeBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    const int size = integerArg(info, 3, "size", 1, kMaxInputSize);
    const int width = integerArg(info, 1, "width", 1, size);
    const int height = integerArg(info, 2, "height", 1, size);
    const auto mean = tripleArg(info, 4, "mean", false);
    const auto stdev = tripleArg(info, 5, "std", true);
    const int bad = firstNonFiniteNormalization(mean.data(), stdev.data());
    if (bad >= 0)
      throw InvalidOption("(x / 255 - mean[" + std::to_string(bad) + "]) / std[" + std::to_string(bad) +
                          "] is not a finite float32 for some byte x");
    auto rgb = std::make_shared<std::vector<uint8_t>>(
        copyUint8Array(info, 0, "rgb", static_cast<uint64_t>(width) * height * 3));
    auto output = Napi::Float32Array::New(info.Env(), static_cast<size_t>(3) * size * size);
    float* out = output.Data();
    return PromiseWorker::Start(
        info.Env(), [=] { normalizeToNchw(rgb->data(), width, height, size, mean.data(), stdev.data(), out); },
        [](Napi::Env, Napi::Value result) { return result; }, output);
  });
}

// The buffer handling upscaleRgb and resizeRgb share; `resize` runs on the worker thread.
template <typename Resize>
Napi::Value rgbResizeBinding(const Napi::CallbackInfo& info, int width, int height, int outWidth, int outHeight,
                             Resize resize) {
  auto rgb = std::make_shared<std::vector<uint8_t>>(
      copyUint8Array(info, 0, "rgb", static_cast<uint64_t>(width) * height * 3));
  auto output = Napi::Uint8Array::New(info.Env(), static_cast<size_t>(outWidth) * outHeight * 3);
  uint8_t* out = output.Data();
  return PromiseWorker::Start(
      info.Env(), [=] { resize(rgb->data(), width, height, outWidth, outHeight, out); },
      [](Napi::Env, Napi::Value result) { return result; }, output);
}

Napi::Value upscaleBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    const int outWidth = integerArg(info, 3, "outWidth", 1, kMaxInputSize);
    const int outHeight = integerArg(info, 4, "outHeight", 1, kMaxInputSize);
    // Enlarging only: a shrinking axis needs an antialiasing filter (resizeRgb).
    const int width = integerArg(info, 1, "width", 1, outWidth);
    const int height = integerArg(info, 2, "height", 1, outHeight);
    return rgbResizeBinding(info, width, height, outWidth, outHeight, upscaleRgb);
  });
}

Napi::Value resizeBinding(const Napi::CallbackInfo& info) {
  return promiseOrReject(info, [&] {
    const int width = integerArg(info, 1, "width", 1, kMaxImageSide);
    const int height = integerArg(info, 2, "height", 1, kMaxImageSide);
    const int outWidth = integerArg(info, 3, "outWidth", 1, kMaxInputSize);
    const int outHeight = integerArg(info, 4, "outHeight", 1, kMaxInputSize);
    if (static_cast<uint64_t>(width) * height > kMaxImagePixels)
      throw InvalidOption("width × height must be at most " + std::to_string(kMaxImagePixels) + " pixels");
    ResizeFilter filter = ResizeFilter::Bilinear;
    if (info.Length() > 5 && !info[5].IsUndefined()) {
      const std::string name = info[5].IsString() ? info[5].As<Napi::String>().Utf8Value() : "";
      if (name == "bicubic") filter = ResizeFilter::Bicubic;
      else if (name != "bilinear") throw InvalidOption("filter must be 'bilinear' or 'bicubic'");
    }
    return rgbResizeBinding(info, width, height, outWidth, outHeight,
                            [filter](const uint8_t* rgb, int w, int h, int ow, int oh, uint8_t* out) {
                              resizeRgb(rgb, w, h, ow, oh, out, filter);
                            });
  });
}

}  // namespace

void initPreprocess(Napi::Env env, Napi::Object exports) {
  exports.Set("normalizeToNchw", Napi::Function::New(env, normalizeBinding, "normalizeToNchw"));
  exports.Set("upscaleRgb", Napi::Function::New(env, upscaleBinding, "upscaleRgb"));
  exports.Set("resizeRgb", Napi::Function::New(env, resizeBinding, "resizeRgb"));
}

}  // namespace sam3clip::addon
