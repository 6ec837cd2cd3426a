#include "errno_error.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

#include <string>

namespace tandem {
namespace {

void ErrnoName(int err, char* name, size_t size) {
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 32)
  // glibc names every errno, including ones libuv has no code for (ENOTBLK).
  if (const char* known = strerrorname_np(err)) {
    snprintf(name, size, "%s", known);
    return;
  }
#endif
  // libuv codes are negated errno values on Unix; node exports libuv, and fs
  // errors use the same names.
  uv_err_name_r(-err, name, size);
}

}  // namespace

Napi::Error MakeErrnoError(Napi::Env env, int err, const char* syscall) {
  char name[64];
  ErrnoName(err, name, sizeof name);
  char text[256];
  const char* description = strerror_r(err, text, sizeof text);
  std::string message = std::string(name) + ": " + description + ", " + syscall;
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, name));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall) {
  MakeErrnoError(env, err, syscall).ThrowAsJavaScriptException();
}

}  // namespace tandem
