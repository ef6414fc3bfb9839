// Argument checks shared by the bindings. The TypeScript layer validates first; these checks
// run again here because the addon can be called directly and must never crash on bad input.
// A failed check throws InvalidOption, which each binding turns into a rejected Promise whose
// Error has code 'E_INVALID_OPTION'.
#pragma once

#include <napi.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sam3clip::addon {

struct InvalidOption : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The most bytes (pixels) any mask or image may hold.
constexpr uint64_t kMaxPixels = uint64_t{1} << 31;

Napi::Error invalidOptionError(Napi::Env env, const std::string& message);

// A promise already rejected with invalidOptionError(message).
Napi::Promise rejectedPromise(Napi::Env env, const std::string& message);

// An integer in [min, max]; rejects NaN, infinities, fractions and non-numbers.
int integerArg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min, int64_t max);

// A finite number in [min, max] (rejects NaN, infinities and non-numbers), as float32.
float floatArg(const Napi::CallbackInfo& info, size_t index, const char* name, double min, double max);

// width * height, checked against kMaxPixels.
uint64_t pixelCount(int width, int height, const char* what);

std::string stringArg(const Napi::CallbackInfo& info, size_t index, const char* name);

// Copies of typed-array arguments of exactly `length` elements, so the worker thread never
// reads memory that JavaScript may change or detach meanwhile.
std::vector<uint8_t> copyUint8Array(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t length);
std::vector<float> copyFloat32Array(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t length);

// An array of three finite numbers; with `positive`, each must be > 0.
std::array<float, 3> tripleArg(const Napi::CallbackInfo& info, size_t index, const char* name, bool positive);

// Runs body(), which returns a Promise; an InvalidOption it throws becomes a rejected Promise,
// so Promise-returning bindings never throw synchronously.
template <typename Body>
Napi::Value promiseOrReject(const Napi::CallbackInfo& info, Body&& body) {
  try {
    return body();
  } catch (const InvalidOption& e) {
    return rejectedPromise(info.Env(), e.what());
  }
}

}  // namespace sam3clip::addon
