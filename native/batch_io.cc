// transferBatch: several positional reads/writes on one descriptor in ONE threadpool job.
// Why: at small block sizes the per-job cost (queueing onto the libuv pool, waking a
// worker, the completion hop and callback scope back on the main thread) costs more than
// the 4 KiB pread/pwrite itself; the target groups the I/Os that arrive in one event-loop
// turn into a few jobs. Ops run in order; each reports its own errno.
#include <vector>

#include "args.h"
#include "async_call.h"
#include "errno_error.h"
#include "exports.h"
#include "io_loops.h"

namespace tandem {
namespace {

constexpr uint8_t kFlagWrite = 1;
constexpr uint8_t kFlagDsync = 2;

struct BatchOp {
  uint8_t* data;
  size_t length;
  uint64_t offset;
  uint8_t flags;
  int error;
};

class BatchCall : public AsyncCall {
 public:
  BatchCall(Napi::Function callback, int fd, Napi::Array kept, std::vector<BatchOp> ops)
      : AsyncCall(callback, "pread"), fd_(fd), ops_(std::move(ops)), buffers_ref_(Napi::Persistent(kept.As<Napi::Object>())) {}

 private:
  void Execute() override {
    // Several FUA writes in one job share one fdatasync after all of them, instead of one
    // flush each (RWF_DSYNC): a replication backup under sync mirroring gets a batch of
    // them per event-loop turn. None of them completes before that flush.
    size_t dsync_writes = 0;
    for (const BatchOp& op : ops_) {
      if ((op.flags & kFlagWrite) != 0 && (op.flags & kFlagDsync) != 0) dsync_writes++;
    }
    const bool shared_sync = dsync_writes > 1;
    for (BatchOp& op : ops_) {
      bool write = (op.flags & kFlagWrite) != 0;
      bool dsync = (op.flags & kFlagDsync) != 0 && !shared_sync;
      op.error = write ? WriteFully(fd_, op.data, op.length, op.offset, dsync) : ReadFully(fd_, op.data, op.length, op.offset);
    }
    if (shared_sync) {
      int err = DataSync(fd_);
      if (err != 0) {
        for (BatchOp& op : ops_) {
          if ((op.flags & kFlagWrite) != 0 && (op.flags & kFlagDsync) != 0 && op.error == 0) op.error = err;
        }
      }
    }
    for (const BatchOp& op : ops_) {
      if (op.error != 0) failures_++;
    }
  }

  // undefined when every op succeeded (the common case costs no allocation); otherwise one
  // entry per op: null or the op's errno error.
  Napi::Value Result(Napi::Env env) override {
    if (failures_ == 0) return env.Undefined();
    Napi::Array errors = Napi::Array::New(env, ops_.size());
    for (uint32_t i = 0; i < ops_.size(); i++) {
      const BatchOp& op = ops_[i];
      if (op.error == 0) {
        errors.Set(i, env.Null());
      } else {
        errors.Set(i, MakeErrnoError(env, op.error, (op.flags & kFlagWrite) != 0 ? "pwrite" : "pread").Value());
      }
    }
    return errors;
  }

  int fd_;
  std::vector<BatchOp> ops_;
  size_t failures_ = 0;
  Napi::ObjectReference buffers_ref_;
};

// transferBatch(fd, buffers: Buffer[], offsets: Float64Array, flags: Uint8Array, cb)
Napi::Value TransferBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd)) return env.Undefined();
  if (!info[1].IsArray()) return ThrowType(env, "buffers must be an array of Buffers"), env.Undefined();
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    return ThrowType(env, "offsets must be a Float64Array"), env.Undefined();
  }
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowType(env, "flags must be a Uint8Array"), env.Undefined();
  }
  if (!GetCallback(info, 4, &callback)) return env.Undefined();
  Napi::Array given = info[1].As<Napi::Array>();
  Napi::Float64Array offsets = info[2].As<Napi::Float64Array>();
  Napi::Uint8Array flags = info[3].As<Napi::Uint8Array>();
  uint32_t count = given.Length();
  if (offsets.ElementLength() != count || flags.ElementLength() != count) {
    return ThrowRange(env, "buffers, offsets and flags must have the same length"), env.Undefined();
  }
  // A private array keeps every Buffer alive and unmoved even if the caller reuses its own.
  Napi::Array kept = Napi::Array::New(env, count);
  std::vector<BatchOp> ops(count);
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value item = given.Get(i);
    if (!item.IsBuffer()) return ThrowType(env, "buffers must be an array of Buffers"), env.Undefined();
    double offset = offsets[i];
    if (!(offset >= 0) || offset > 9007199254740992.0 || offset != static_cast<double>(static_cast<uint64_t>(offset))) {
      return ThrowRange(env, "offset must be a non-negative safe integer"), env.Undefined();
    }
    if ((flags[i] & ~(kFlagWrite | kFlagDsync)) != 0) return ThrowRange(env, "unknown flag"), env.Undefined();
    Napi::Buffer<uint8_t> buffer = item.As<Napi::Buffer<uint8_t>>();
    ops[i] = {buffer.Data(), buffer.Length(), static_cast<uint64_t>(offset), flags[i], 0};
    kept.Set(i, buffer);
  }
  (new BatchCall(callback, fd, kept, std::move(ops)))->Queue();
  return env.Undefined();
}

}  // namespace

void RegisterBatchIo(Napi::Env env, Napi::Object exports) {
  exports.Set("transferBatch", Napi::Function::New(env, TransferBatch, "transferBatch"));
}

}  // namespace tandem
