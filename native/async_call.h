// Base for work that runs on the libuv threadpool and reports `(err, result)` to a
// JS callback. Execute() records an errno on failure instead of a message string,
// so the JS error gets a precise `code` and `errno`.
#pragma once
#include <napi.h>

#include "errno_error.h"

namespace tandem {

class AsyncCall : public Napi::AsyncWorker {
 protected:
  AsyncCall(Napi::Function callback, const char* syscall)
      : Napi::AsyncWorker(callback, "tandem:native"), syscall_(syscall) {}

  // Called on the worker thread.
  void Fail(int err, const char* syscall) {
    error_ = err;
    syscall_ = syscall;
  }
  bool Failed() const { return error_ != 0; }

  // Called on the main thread after a successful Execute().
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (error_ != 0) {
      Callback().Call({MakeErrnoError(env, error_, syscall_).Value()});
    } else {
      Callback().Call({env.Null(), Result(env)});
    }
  }

  int error_ = 0;
  const char* syscall_;
};

}  // namespace tandem
