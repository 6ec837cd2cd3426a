// Errors crossing into JS carry the errno name (`code`), number (`errno`) and the
// failing system call, matching Node's own fs errors so callers map them uniformly.
#pragma once
#include <napi.h>

namespace tandem {

Napi::Error MakeErrnoError(Napi::Env env, int err, const char* syscall);

// Throws a pending JS exception; callers return right after.
void ThrowErrno(Napi::Env env, int err, const char* syscall);

}  // namespace tandem
