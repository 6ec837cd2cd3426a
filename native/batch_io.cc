// transferBatch: several positional reads/writes on one descriptor in ONE threadpool job.
// Why: at small block sizes the per-job cost (queueing onto the libuv pool, waking a
// worker, the completion hop and callback scope back on the main thread) costs more than
// the 4 KiB pread/pwrite itself; the target groups the I/Os that arrive in one event-loop
// turn into a few jobs. Ops run in order; each reports its own errno.
#include <sys/resource.h>
#include <sys/uio.h>
#include <uv.h>

#include <memory>
#include <vector>

#include "args.h"
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
  // The error is the batch's shared fdatasync's (reported with syscall "fdatasync"): the
  // store treats a failed sync as sticky (src/block/sticky-sync-error.ts).
  bool sync_failed = false;
};

// What the JS thread keeps for every batch in flight, on that thread's environment. Not an
// AsyncWorker: its per-job resource object, resource name string, receiver and async
// context cost more on the JS thread than a 4 KiB pwrite costs a worker (measured: 6.5 us
// a call, against 2.8 for fs.write), and that thread is what bounds a target's IOPS.
struct BatchEnv {
  napi_env env = nullptr;
  napi_ref resource = nullptr;
  napi_async_context context = nullptr;
};

// One per JS thread (each environment runs on its own): created on first use.
thread_local BatchEnv* batch_env = nullptr;

void ForgetBatchEnv(void* arg) {
  auto* state = static_cast<BatchEnv*>(arg);
  napi_async_destroy(state->env, state->context);
  napi_delete_reference(state->env, state->resource);
  if (batch_env == state) batch_env = nullptr;
  delete state;
}

BatchEnv* BatchEnvFor(napi_env env) {
  if (batch_env != nullptr && batch_env->env == env) return batch_env;
  auto* state = new BatchEnv{env};
  napi_value resource;
  napi_value name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "tandem:batch", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, resource, 1, &state->resource);
  napi_async_init(env, resource, name, &state->context);
  napi_add_env_cleanup_hook(env, ForgetBatchEnv, state);
  batch_env = state;
  return state;
}

struct BatchJob {
  uv_work_t work;
  BatchEnv* owner;
  int fd;
  std::vector<BatchOp> ops;
  size_t failures = 0;
  // The callback, and the caller's buffer array (kept alive, and so its Buffers, until the callback).
  napi_ref callback = nullptr;
  napi_ref buffers = nullptr;
};

// On a worker thread.
void RunBatch(uv_work_t* work) {
  BatchJob* job = static_cast<BatchJob*>(work->data);
  // Several FUA writes in one job share one fdatasync after all of them, instead of one
  // flush each (RWF_DSYNC): a replication backup under sync mirroring gets a batch of
  // them per event-loop turn. None of them completes before that flush.
  size_t dsync_writes = 0;
  for (const BatchOp& op : job->ops) {
    if ((op.flags & kFlagWrite) != 0 && (op.flags & kFlagDsync) != 0) dsync_writes++;
  }
  const bool shared_sync = dsync_writes > 1;
  for (BatchOp& op : job->ops) {
    bool write = (op.flags & kFlagWrite) != 0;
    bool dsync = (op.flags & kFlagDsync) != 0 && !shared_sync;
    op.error = write ? WriteFully(job->fd, op.data, op.length, op.offset, dsync) : ReadFully(job->fd, op.data, op.length, op.offset);
  }
  if (shared_sync) {
    int err = DataSync(job->fd);
    if (err != 0) {
      for (BatchOp& op : job->ops) {
        if ((op.flags & kFlagWrite) != 0 && (op.flags & kFlagDsync) != 0 && op.error == 0) {
          op.error = err;
          op.sync_failed = true;
        }
      }
    }
  }
  for (const BatchOp& op : job->ops) {
    if (op.error != 0) job->failures++;
  }
}

// undefined when every op succeeded (the common case costs no allocation); otherwise one
// entry per op: null or the op's errno error.
napi_value BatchResult(Napi::Env env, const BatchJob& job) {
  if (job.failures == 0) return env.Undefined();
  Napi::Array errors = Napi::Array::New(env, job.ops.size());
  for (uint32_t i = 0; i < job.ops.size(); i++) {
    const BatchOp& op = job.ops[i];
    if (op.error == 0) {
      errors.Set(i, env.Null());
    } else {
      const char* syscall = op.sync_failed ? "fdatasync" : (op.flags & kFlagWrite) != 0 ? "pwrite" : "pread";
      errors.Set(i, MakeErrnoError(env, op.error, syscall).Value());
    }
  }
  return errors;
}

// On the JS thread, from the loop (no JS on the stack): the callback runs as any I/O
// callback does, microtasks and ticks after it.
void FinishBatch(uv_work_t* work, int status) {
  std::unique_ptr<BatchJob> job(static_cast<BatchJob*>(work->data));
  BatchEnv* owner = job->owner;
  if (batch_env != owner) return;  // the environment is gone (a worker thread torn down)
  napi_env env = owner->env;
  Napi::HandleScope scope(env);
  napi_value callback;
  napi_value resource;
  napi_get_reference_value(env, job->callback, &callback);
  napi_get_reference_value(env, owner->resource, &resource);
  napi_delete_reference(env, job->callback);
  napi_delete_reference(env, job->buffers);
  napi_value argv[2] = {Napi::Env(env).Null(), BatchResult(env, *job)};
  napi_value result;
  if (napi_make_callback(env, owner->context, resource, callback, 2, argv, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
}

// Reads (fd, buffers: Buffer[], offsets: Float64Array, flags: Uint8Array) from info[0..3]
// into `ops`; false after throwing. `exact`: the typed arrays hold exactly one entry per
// buffer (else they may be longer, reused by the caller).
bool GetOps(const Napi::CallbackInfo& info, bool exact, int* fd, std::vector<BatchOp>* ops) {
  Napi::Env env = info.Env();
  if (!GetFd(info, 0, fd)) return false;
  if (!info[1].IsArray()) return ThrowType(env, "buffers must be an array of Buffers");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    return ThrowType(env, "offsets must be a Float64Array");
  }
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowType(env, "flags must be a Uint8Array");
  }
  Napi::Array given = info[1].As<Napi::Array>();
  Napi::Float64Array offsets = info[2].As<Napi::Float64Array>();
  Napi::Uint8Array flags = info[3].As<Napi::Uint8Array>();
  uint32_t count = given.Length();
  bool fits = exact ? offsets.ElementLength() == count && flags.ElementLength() == count : offsets.ElementLength() >= count && flags.ElementLength() >= count;
  if (!fits) return ThrowRange(env, "buffers, offsets and flags must have the same length");
  ops->resize(count);
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value item = given.Get(i);
    if (!item.IsBuffer()) return ThrowType(env, "buffers must be an array of Buffers");
    double offset = offsets[i];
    if (!(offset >= 0) || offset > 9007199254740992.0 || offset != static_cast<double>(static_cast<uint64_t>(offset))) {
      return ThrowRange(env, "offset must be a non-negative safe integer");
    }
    if ((flags[i] & ~(kFlagWrite | kFlagDsync)) != 0) return ThrowRange(env, "unknown flag");
    Napi::Buffer<uint8_t> buffer = item.As<Napi::Buffer<uint8_t>>();
    (*ops)[i] = {buffer.Data(), buffer.Length(), static_cast<uint64_t>(offset), flags[i], 0, false};
  }
  return true;
}

// transferBatch(fd, buffers: Buffer[], offsets: Float64Array, flags: Uint8Array, cb)
// The caller must leave `buffers` as it is until the callback (the array itself is held).
Napi::Value TransferBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<BatchJob>();
  Napi::Function callback;
  if (!GetOps(info, true, &job->fd, &job->ops) || !GetCallback(info, 4, &callback)) return env.Undefined();
  Napi::Array given = info[1].As<Napi::Array>();
  job->owner = BatchEnvFor(env);
  job->work.data = job.get();
  napi_create_reference(env, callback, 1, &job->callback);
  napi_create_reference(env, given, 1, &job->buffers);
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int r = uv_queue_work(loop, &job->work, RunBatch, FinishBatch);
  if (r != 0) {
    napi_delete_reference(env, job->callback);
    napi_delete_reference(env, job->buffers);
    return ThrowErrno(env, -r, "uv_queue_work"), env.Undefined();
  }
  job.release();
  return env.Undefined();
}

// transferInline(fd, buffers, offsets, flags, redo: Uint8Array): number
// Runs on the JS thread what costs less done than handed to a worker: a buffered write
// that is not FUA (a copy into the page cache, ~2 us for 4 KiB here, against ~10 us of
// thread wake-ups and completion hops through the pool), and a read the page cache
// already holds (RWF_NOWAIT: never waits for the disk). Anything else — FUA, a read that
// would wait, a short transfer, any error — is left undone: redo[i] = 1, and the caller
// sends it to the pool (which reports errors precisely). With countSleeps, returns how many
// times the thread slept in the kernel meanwhile (voluntary context switches; else 0): a
// slow call that slept was made to wait (dirty-page throttling, a journal commit), one that
// did not was only preempted by a busy CPU — the caller stops inline I/O for the first, not
// the second. Counting costs two getrusage calls (~1.2 us each here, more than the 4 KiB
// write), so the caller asks only while it has reason to (after a slow call).
Napi::Value TransferInline(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  std::vector<BatchOp> ops;
  if (!GetOps(info, false, &fd, &ops)) return env.Undefined();
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowType(env, "redo must be a Uint8Array"), env.Undefined();
  }
  Napi::Uint8Array redo = info[4].As<Napi::Uint8Array>();
  if (redo.ElementLength() < ops.size()) return ThrowRange(env, "redo must hold an entry per buffer"), env.Undefined();
  const bool count_sleeps = info.Length() > 5 && info[5].ToBoolean().Value();
  rusage before{};
  if (count_sleeps) getrusage(RUSAGE_THREAD, &before);
  for (size_t i = 0; i < ops.size(); i++) {
    const BatchOp& op = ops[i];
    bool done = false;
    if ((op.flags & kFlagDsync) == 0) {
      iovec iov{op.data, op.length};
      const bool write = (op.flags & kFlagWrite) != 0;
      ssize_t n = write ? pwritev2(fd, &iov, 1, static_cast<off_t>(op.offset), 0) : preadv2(fd, &iov, 1, static_cast<off_t>(op.offset), RWF_NOWAIT);
      done = n >= 0 && static_cast<size_t>(n) == op.length;
    }
    redo[i] = done ? 0 : 1;
  }
  if (!count_sleeps) return Napi::Number::New(env, 0);
  rusage after{};
  getrusage(RUSAGE_THREAD, &after);
  return Napi::Number::New(env, static_cast<double>(after.ru_nvcsw - before.ru_nvcsw));
}

}  // namespace

void RegisterBatchIo(Napi::Env env, Napi::Object exports) {
  exports.Set("transferBatch", Napi::Function::New(env, TransferBatch, "transferBatch"));
  exports.Set("transferInline", Napi::Function::New(env, TransferInline, "transferInline"));
}

}  // namespace tandem
