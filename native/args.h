// Argument checks shared by the exported functions. Each returns false after
// throwing a TypeError/RangeError, so callers simply `return env.Undefined()`.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>

namespace tandem {

inline bool ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

inline bool ThrowRange(Napi::Env env, const char* message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

// Any integer is accepted: a stale or negative fd is the kernel's to reject (EBADF).
inline bool GetFd(const Napi::CallbackInfo& info, size_t index, int* fd) {
  if (!info[index].IsNumber()) return ThrowType(info.Env(), "fd must be a number");
  *fd = info[index].As<Napi::Number>().Int32Value();
  return true;
}

// Offsets and lengths are JS numbers: non-negative integers up to 2^53.
inline bool GetUint53(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t* out) {
  Napi::Env env = info.Env();
  if (!info[index].IsNumber()) {
    Napi::TypeError::New(env, std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= 0) || value > 9007199254740992.0 || std::floor(value) != value) {
    Napi::RangeError::New(env, std::string(name) + " must be a non-negative safe integer")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint64_t>(value);
  return true;
}

inline bool GetBuffer(const Napi::CallbackInfo& info, size_t index, Napi::Buffer<uint8_t>* out) {
  if (!info[index].IsBuffer()) return ThrowType(info.Env(), "expected a Buffer");
  *out = info[index].As<Napi::Buffer<uint8_t>>();
  return true;
}

inline bool GetCallback(const Napi::CallbackInfo& info, size_t index, Napi::Function* out) {
  if (!info[index].IsFunction()) return ThrowType(info.Env(), "callback must be a function");
  *out = info[index].As<Napi::Function>();
  return true;
}

}  // namespace tandem
