#include "rbd_image.h"

#include <errno.h>
#include <rados/librados.h>

#include "args.h"
#include "errno_error.h"
#include "extent_digest.h"
#include "hasher.h"
#include "rbd_calls.h"

namespace tandem {
namespace {

struct AioOp {
  RbdImage* image;
  int32_t id;
};

// On a librbd thread. Releasing the completion here is allowed (qemu's rbd driver does too).
void OnAioComplete(rbd_completion_t completion, void* arg) {
  auto* op = static_cast<AioOp*>(arg);
  ssize_t r = rbd_aio_get_return_value(completion);
  rbd_aio_release(completion);
  op->image->Completed(op->id, r < 0 ? static_cast<int32_t>(r) : 0);
  delete op;
}

bool GetId(const Napi::CallbackInfo& info, int32_t* id) {
  if (!info[0].IsNumber()) return ThrowType(info.Env(), "id must be a number");
  *id = info[0].As<Napi::Number>().Int32Value();
  return true;
}

}  // namespace

Napi::Function RbdImage::Define(Napi::Env env) {
  return DefineClass(env, "RbdImage",
                     {
                         InstanceMethod<&RbdImage::Read>("read"),
                         InstanceMethod<&RbdImage::Write>("write"),
                         InstanceMethod<&RbdImage::Flush>("flush"),
                         InstanceMethod<&RbdImage::Discard>("discard"),
                         InstanceMethod<&RbdImage::Allocation>("allocation"),
                         InstanceMethod<&RbdImage::DigestExtents>("digestExtents"),
                         InstanceMethod<&RbdImage::Close>("close"),
                         InstanceAccessor<&RbdImage::Size>("size"),
                     });
}

RbdImage::RbdImage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RbdImage>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal() || !info[1].IsFunction()) {
    ThrowType(env, "RbdImage is made by rbdOpen");
    return;
  }
  opened_ = *info[0].As<Napi::External<RbdOpened>>().Data();
  // The threadsafe function's calls carry `this`: the JS object (and so this C++ object) must
  // outlive the last of them, queued calls included, so it is held until the finalizer.
  Ref();
  completions_ = Completions::New(env, info[1].As<Napi::Function>(), "tandem:rbd", 0, 1, this,
                                  [](Napi::Env, void*, RbdImage* image) { image->Unref(); });
  // An idle image must not keep the process alive; I/O in flight does (see Submitted).
  completions_.Unref(env);
}

void RbdImage::Completed(int32_t id, int32_t result) {
  bool first;
  {
    std::lock_guard<std::mutex> hold(lock_);
    first = done_.empty();
    done_.push_back(id);
    done_.push_back(result);
  }
  // One wake-up per batch: completions that arrive before the JS thread drains ride along.
  if (first) completions_.NonBlockingCall();
}

void RbdImage::CallJs(Napi::Env env, Napi::Function handler, RbdImage* image, void*) {
  if (env != nullptr) image->Deliver(env, handler);
}

void RbdImage::Deliver(Napi::Env env, Napi::Function handler) {
  std::vector<int32_t> batch;
  {
    std::lock_guard<std::mutex> hold(lock_);
    batch.swap(done_);
  }
  if (batch.empty()) return;
  in_flight_ -= static_cast<uint32_t>(batch.size() / 2);
  if (in_flight_ == 0) completions_.Unref(env);
  Napi::Int32Array pairs = Napi::Int32Array::New(env, batch.size());
  std::copy(batch.begin(), batch.end(), pairs.Data());
  handler.Call({pairs});
}

bool RbdImage::Usable(Napi::Env env) {
  if (!closed_) return true;
  ThrowErrno(env, EBADF, "rbd");
  return false;
}

bool RbdImage::NewCompletion(int32_t id, rbd_completion_t* out, int* error) {
  auto* op = new AioOp{this, id};
  int r = rbd_aio_create_completion(op, OnAioComplete, out);
  if (r < 0) {
    delete op;
    *error = r;
    return false;
  }
  return true;
}

Napi::Value RbdImage::Submitted(Napi::Env env, rbd_completion_t completion, int result) {
  if (result < 0) {
    delete static_cast<AioOp*>(rbd_aio_get_arg(completion));
    rbd_aio_release(completion);
    return Napi::Number::New(env, result);
  }
  if (in_flight_++ == 0) completions_.Ref(env);
  return Napi::Number::New(env, 0);
}

// read(id, buffer, offset)
Napi::Value RbdImage::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t id;
  Napi::Buffer<uint8_t> buffer;
  uint64_t offset;
  if (!Usable(env) || !GetId(info, &id) || !GetBuffer(info, 1, &buffer) || !GetUint53(info, 2, "offset", &offset)) {
    return env.Undefined();
  }
  rbd_completion_t completion;
  int error;
  if (!NewCompletion(id, &completion, &error)) return Napi::Number::New(env, error);
  // The Buffer stays referenced by the JS side's pending table until the completion arrives.
  int r = rbd_aio_read(opened_.image, offset, buffer.Length(), reinterpret_cast<char*>(buffer.Data()), completion);
  return Submitted(env, completion, r);
}

// write(id, buffer, offset, fua)
Napi::Value RbdImage::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t id;
  Napi::Buffer<uint8_t> buffer;
  uint64_t offset;
  if (!Usable(env) || !GetId(info, &id) || !GetBuffer(info, 1, &buffer) || !GetUint53(info, 2, "offset", &offset)) {
    return env.Undefined();
  }
  // FUA: librbd 16 honours the op flag in both client caches (write-around dispatches the
  // write unoptimised, writeback writes it through), so it completes once on the OSDs.
  int flags = info[3].ToBoolean().Value() ? LIBRADOS_OP_FLAG_FADVISE_FUA : 0;
  rbd_completion_t completion;
  int error;
  if (!NewCompletion(id, &completion, &error)) return Napi::Number::New(env, error);
  int r = rbd_aio_write2(opened_.image, offset, buffer.Length(), reinterpret_cast<const char*>(buffer.Data()), completion, flags);
  return Submitted(env, completion, r);
}

// flush(id)
Napi::Value RbdImage::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t id;
  if (!Usable(env) || !GetId(info, &id)) return env.Undefined();
  rbd_completion_t completion;
  int error;
  if (!NewCompletion(id, &completion, &error)) return Napi::Number::New(env, error);
  return Submitted(env, completion, rbd_aio_flush(opened_.image, completion));
}

// discard(id, offset, length)
Napi::Value RbdImage::Discard(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t id;
  uint64_t offset, length;
  if (!Usable(env) || !GetId(info, &id) || !GetUint53(info, 1, "offset", &offset) || !GetUint53(info, 2, "length", &length)) {
    return env.Undefined();
  }
  rbd_completion_t completion;
  int error;
  if (!NewCompletion(id, &completion, &error)) return Napi::Number::New(env, error);
  return Submitted(env, completion, rbd_aio_discard(opened_.image, offset, length, completion));
}

// allocation(offset, length, cb): cb(err, {mapped, length})
Napi::Value RbdImage::Allocation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  Napi::Function callback;
  if (!Usable(env) || !GetUint53(info, 0, "offset", &offset) || !GetUint53(info, 1, "length", &length) ||
      !GetCallback(info, 2, &callback)) {
    return env.Undefined();
  }
  StartRbdAllocation(callback, opened_.image, offset, length);
  return env.Undefined();
}

// digestExtents(extents, algorithm, cb): cb(err, Buffer)
Napi::Value RbdImage::DigestExtents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint64_t> extents;
  DigestAlgorithm algorithm;
  Napi::Function callback;
  if (!Usable(env) || !ReadExtents(env, info[0], &extents) || !GetAlgorithm(info, 1, &algorithm) ||
      !GetCallback(info, 2, &callback)) {
    return env.Undefined();
  }
  StartExtentsDigest(env, callback, RbdExtentSource(opened_.image), std::move(extents), algorithm);
  return env.Undefined();
}

// close(cb): the JS side waits for its I/O first; closing with aio in flight is refused.
Napi::Value RbdImage::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback;
  if (!Usable(env) || !GetCallback(info, 0, &callback)) return env.Undefined();
  if (in_flight_ > 0) {
    ThrowErrno(env, EBUSY, "rbd_close");
    return env.Undefined();
  }
  closed_ = true;
  Completions completions = completions_;
  StartRbdClose(callback, opened_, [completions]() mutable { completions.Release(); });
  return env.Undefined();
}

Napi::Value RbdImage::Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(opened_.size)); }

}  // namespace tandem
