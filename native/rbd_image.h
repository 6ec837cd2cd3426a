// An open RBD image as a JS object. Reads, writes, flushes and discards go to librbd's aio
// calls straight from the JS thread (no threadpool job per I/O; librbd dispatches them on it,
// rbd_cluster.cc); librbd completes them on its own threads (or, for a request it can answer
// at once, inside the aio call), which queue (id, result) pairs and wake the JS thread through
// one threadsafe function, at most once per batch: the JS side gets every completion that
// arrived meanwhile in one call, never during the aio call that submitted it.
#pragma once
#include <napi.h>
#include <rbd/librbd.h>

#include <mutex>
#include <vector>

#include "rbd_cluster.h"

namespace tandem {

// What the open worker hands the constructor (through a Napi::External).
struct RbdOpened {
  RbdPool pool;
  rbd_image_t image;
  uint64_t size;
};

class RbdImage : public Napi::ObjectWrap<RbdImage> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new RbdImage(External<RbdOpened>, onComplete): only the open worker constructs one.
  explicit RbdImage(const Napi::CallbackInfo& info);

  // On a librbd thread: queue one completion (result: 0 or -errno) for the JS thread.
  void Completed(int32_t id, int32_t result);

 private:
  static void CallJs(Napi::Env env, Napi::Function handler, RbdImage* image, void* unused);
  using Completions = Napi::TypedThreadSafeFunction<RbdImage, void, CallJs>;

  // JS methods. read/write/flush/discard(id, ...) return 0 once submitted, or -errno when
  // librbd refused the request (no completion follows then).
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Discard(const Napi::CallbackInfo& info);
  Napi::Value Allocation(const Napi::CallbackInfo& info);
  Napi::Value DigestExtents(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);

  bool Usable(Napi::Env env);
  // Creates the completion for op `id`; false (with *error set) when librbd cannot.
  bool NewCompletion(int32_t id, rbd_completion_t* out, int* error);
  // After an aio call: counts it in flight, or releases the completion when refused.
  Napi::Value Submitted(Napi::Env env, rbd_completion_t completion, int result);
  void Deliver(Napi::Env env, Napi::Function handler);

  RbdOpened opened_{};
  bool closed_ = false;
  Completions completions_;
  uint32_t in_flight_ = 0;  // JS thread only: aio requests not yet delivered
  std::mutex lock_;         // guards done_
  std::vector<int32_t> done_;  // (id, result) pairs waiting for the JS thread
};

}  // namespace tandem
