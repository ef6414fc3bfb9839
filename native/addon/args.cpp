#include "args.h"

#include <cmath>
#include <cstring>

namespace sam3clip::addon {

Napi::Error invalidOptionError(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, "E_INVALID_OPTION"));
  return error;
}

Napi::Promise rejectedPromise(Napi::Env env, const std::string& message) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(invalidOptionError(env, message).Value());
  return deferred.Promise();
}

int integerArg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min, int64_t max) {
  if (index >= info.Length() || !info[index].IsNumber())
    throw InvalidOption(std::string(name) + " must be a number");
  const double v = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v)
    throw InvalidOption(std::string(name) + " must be an integer, got " + std::to_string(v));
  if (v < static_cast<double>(min) || v > static_cast<double>(max))
    throw InvalidOption(std::string(name) + " must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                        "], got " + std::to_string(static_cast<int64_t>(v)));
  return static_cast<int>(v);
}

float floatArg(const Napi::CallbackInfo& info, size_t index, const char* name, double min, double max) {
  if (index >= info.Length() || !info[index].IsNumber())
    throw InvalidOption(std::string(name) + " must be a number");
  const double v = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v < min || v > max)
    throw InvalidOption(std::string(name) + " must be a finite number in [" + std::to_string(min) + ", " +
                        std::to_string(max) + "], got " + std::to_string(v));
  return static_cast<float>(v);
}

uint64_t pixelCount(int width, int height, const char* what) {
  const uint64_t n = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
  if (n > kMaxPixels)
    throw InvalidOption(std::string(what) + " is too large: " + std::to_string(width) + "x" + std::to_string(height) +
                        " exceeds 2^31 pixels");
  return n;
}

std::string stringArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsString()) throw InvalidOption(std::string(name) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

namespace {

template <typename T>
std::vector<T> copyTypedArray(const Napi::CallbackInfo& info, size_t index, const char* name, napi_typedarray_type type,
                              const char* typeName, uint64_t length) {
  if (index >= info.Length() || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != type)
    throw InvalidOption(std::string(name) + " must be a " + typeName);
  auto array = info[index].As<Napi::TypedArray>();
  if (array.ElementLength() != length)
    throw InvalidOption(std::string(name) + ": expected " + std::to_string(length) + " elements, got " +
                        std::to_string(array.ElementLength()));
  std::vector<T> copy(length);
  if (length > 0) {
    const auto* base = static_cast<const uint8_t*>(array.ArrayBuffer().Data());
    if (base == nullptr) throw InvalidOption(std::string(name) + " is detached");
    std::memcpy(copy.data(), base + array.ByteOffset(), length * sizeof(T));
  }
  return copy;
}

}  // namespace

std::vector<uint8_t> copyUint8Array(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t length) {
  return copyTypedArray<uint8_t>(info, index, name, napi_uint8_array, "Uint8Array", length);
}

std::vector<float> copyFloat32Array(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t length) {
  return copyTypedArray<float>(info, index, name, napi_float32_array, "Float32Array", length);
}

std::array<float, 3> tripleArg(const Napi::CallbackInfo& info, size_t index, const char* name, bool positive) {
  if (index >= info.Length() || !info[index].IsArray() || info[index].As<Napi::Array>().Length() != 3)
    throw InvalidOption(std::string(name) + " must be an array of 3 numbers");
  auto array = info[index].As<Napi::Array>();
  std::array<float, 3> out{};
  for (uint32_t i = 0; i < 3; i++) {
    Napi::Value v = array.Get(i);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(d) || (positive && !(d > 0)))
      throw InvalidOption(std::string(name) + "[" + std::to_string(i) + "] must be a finite" +
                          (positive ? " positive" : "") + " number");
    out[i] = static_cast<float>(d);
  }
  return out;
}

}  // namespace sam3clip::addon
