// Each concern registers its own functions on the module's exports object.
#pragma once
#include <napi.h>

namespace tandem {

void RegisterFileIo(Napi::Env env, Napi::Object exports);
void RegisterBatchIo(Napi::Env env, Napi::Object exports);
void RegisterSpace(Napi::Env env, Napi::Object exports);
void RegisterDigest(Napi::Env env, Napi::Object exports);
void RegisterCrc32c(Napi::Env env, Napi::Object exports);
// Only in builds with librbd/librados (binding.gyp: native/has-rbd.sh).
void RegisterRbd(Napi::Env env, Napi::Object exports);

}  // namespace tandem
