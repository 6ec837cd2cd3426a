// open/close and the asynchronous read/write/sync calls on a file descriptor.
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "args.h"
#include "async_call.h"
#include "errno_error.h"
#include "exports.h"
#include "io_loops.h"

namespace tandem {
namespace {

constexpr uint32_t kFileLogicalBlockSize = 512;

bool OptionFlag(const Napi::Object& options, const char* name) {
  Napi::Value value = options.Get(name);
  return value.IsBoolean() && value.As<Napi::Boolean>().Value();
}

// open(path, {readOnly, direct, create?}) -> {fd, size, isBlockDevice, logicalBlockSize}.
// A writable open holds the image's write lock (EAGAIN from "lock": another holds it).
// `create` (bytes) makes a sparse file when the path is absent, and grows (never
// shrinks) an existing writable regular file that is smaller.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    ThrowType(env, "path must be a string");
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  bool read_only = OptionFlag(options, "readOnly");
  bool direct = OptionFlag(options, "direct");
  bool has_create = !options.Get("create").IsUndefined() && !options.Get("create").IsNull();
  uint64_t create_size = 0;
  if (has_create) {
    double value = options.Get("create").ToNumber().DoubleValue();
    if (!(value >= 0) || value > 9007199254740992.0 || value != static_cast<double>(static_cast<uint64_t>(value))) {
      ThrowRange(env, "create must be a non-negative safe integer");
      return env.Undefined();
    }
    create_size = static_cast<uint64_t>(value);
  }

  int flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0);
  bool created = false;
  int fd = open(path.c_str(), flags);
  if (fd < 0 && errno == ENOENT && has_create && !read_only) {
    fd = open(path.c_str(), flags | O_CREAT | O_EXCL, 0644);
    created = fd >= 0;
    if (fd < 0 && errno == EEXIST) fd = open(path.c_str(), flags);  // lost a race: use theirs
  }
  if (fd < 0) {
    ThrowErrno(env, errno, "open");
    return env.Undefined();
  }

  auto fail = [&](int err, const char* syscall) {
    close(fd);
    if (created) unlink(path.c_str());
    ThrowErrno(env, err, syscall);
    return env.Undefined();
  };

  // One writer per image, as QEMU's image locking: a second server (or a restart while the
  // old process lives) would interleave writes and corrupt the metadata kept beside the image.
  // An open file description lock: released when this descriptor closes or the process dies
  // (no stale lock after a crash). Readers take none, so verify can read a served image.
  if (!read_only) {
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &lock) != 0) return fail(errno == EACCES ? EAGAIN : errno, "lock");
  }

  struct stat st;
  if (fstat(fd, &st) != 0) return fail(errno, "fstat");
  uint64_t size = 0;
  uint32_t logical_block_size = kFileLogicalBlockSize;
  bool is_block_device = S_ISBLK(st.st_mode);
  if (is_block_device) {
    if (ioctl(fd, BLKGETSIZE64, &size) != 0) return fail(errno, "ioctl(BLKGETSIZE64)");
    int sector = 0;
    if (ioctl(fd, BLKSSZGET, &sector) != 0) return fail(errno, "ioctl(BLKSSZGET)");
    logical_block_size = static_cast<uint32_t>(sector);
  } else if (S_ISREG(st.st_mode)) {
    size = static_cast<uint64_t>(st.st_size);
    if (has_create && !read_only && size < create_size) {
      if (ftruncate(fd, static_cast<off_t>(create_size)) != 0) return fail(errno, "ftruncate");
      size = create_size;
    }
  } else {
    return fail(ENOTBLK, "open");  // neither a regular file nor a block device
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fd));
  result.Set("size", Napi::Number::New(env, static_cast<double>(size)));
  result.Set("isBlockDevice", Napi::Boolean::New(env, is_block_device));
  result.Set("logicalBlockSize", Napi::Number::New(env, logical_block_size));
  return result;
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!GetFd(info, 0, &fd)) return env.Undefined();
  // Linux releases the descriptor even when close reports an error; never retry.
  if (close(fd) != 0 && errno != EINTR) ThrowErrno(env, errno, "close");
  return env.Undefined();
}

// One positional transfer into/out of the caller's Buffer, which stays referenced
// (and so alive and unmoved) until the callback runs.
class TransferCall : public AsyncCall {
 public:
  TransferCall(Napi::Function callback, int fd, Napi::Buffer<uint8_t> buffer, uint64_t offset, bool write, bool dsync)
      : AsyncCall(callback, write ? "pwrite" : "pread"),
        fd_(fd),
        data_(buffer.Data()),
        length_(buffer.Length()),
        offset_(offset),
        write_(write),
        dsync_(dsync),
        buffer_ref_(Napi::Persistent(buffer.As<Napi::Object>())) {}

 private:
  void Execute() override {
    int err = write_ ? WriteFully(fd_, data_, length_, offset_, dsync_) : ReadFully(fd_, data_, length_, offset_);
    if (err != 0) Fail(err, write_ ? "pwrite" : "pread");
  }

  int fd_;
  uint8_t* data_;
  size_t length_;
  uint64_t offset_;
  bool write_;
  bool dsync_;
  Napi::ObjectReference buffer_ref_;
};

// Scatter/gather form. The buffers are copied into a private array so a caller
// mutating its own array mid-I/O cannot let one be collected.
class VectorTransferCall : public AsyncCall {
 public:
  VectorTransferCall(Napi::Function callback, int fd, Napi::Array buffers, std::vector<iovec> iov, uint64_t offset,
                     bool write, bool dsync)
      : AsyncCall(callback, write ? "pwritev" : "preadv"),
        fd_(fd),
        iov_(std::move(iov)),
        offset_(offset),
        write_(write),
        dsync_(dsync),
        buffers_ref_(Napi::Persistent(buffers.As<Napi::Object>())) {}

 private:
  void Execute() override {
    int err = write_ ? WriteFullyV(fd_, iov_.data(), iov_.size(), offset_, dsync_)
                     : ReadFullyV(fd_, iov_.data(), iov_.size(), offset_);
    if (err != 0) Fail(err, write_ ? "pwritev" : "preadv");
  }

  int fd_;
  std::vector<iovec> iov_;
  uint64_t offset_;
  bool write_;
  bool dsync_;
  Napi::ObjectReference buffers_ref_;
};

template <bool kWrite, bool kDsync>
Napi::Value Transfer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  Napi::Buffer<uint8_t> buffer;
  uint64_t offset;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd) || !GetBuffer(info, 1, &buffer) || !GetUint53(info, 2, "offset", &offset) ||
      !GetCallback(info, 3, &callback)) {
    return env.Undefined();
  }
  (new TransferCall(callback, fd, buffer, offset, kWrite, kDsync))->Queue();
  return env.Undefined();
}

template <bool kWrite, bool kDsync>
Napi::Value VectorTransfer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  uint64_t offset;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd)) return env.Undefined();
  if (!info[1].IsArray()) {
    ThrowType(env, "buffers must be an array of Buffers");
    return env.Undefined();
  }
  if (!GetUint53(info, 2, "offset", &offset) || !GetCallback(info, 3, &callback)) return env.Undefined();
  Napi::Array given = info[1].As<Napi::Array>();
  uint32_t count = given.Length();
  Napi::Array kept = Napi::Array::New(env, count);
  std::vector<iovec> iov(count);
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value item = given.Get(i);
    if (!item.IsBuffer()) {
      ThrowType(env, "buffers must be an array of Buffers");
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> buffer = item.As<Napi::Buffer<uint8_t>>();
    iov[i] = {buffer.Data(), buffer.Length()};
    kept.Set(i, buffer);
  }
  (new VectorTransferCall(callback, fd, kept, std::move(iov), offset, kWrite, kDsync))->Queue();
  return env.Undefined();
}

class SyncCall : public AsyncCall {
 public:
  SyncCall(Napi::Function callback, int fd) : AsyncCall(callback, "fdatasync"), fd_(fd) {}

 private:
  void Execute() override {
    int err = DataSync(fd_);
    if (err != 0) Fail(err, "fdatasync");
  }
  int fd_;
};

Napi::Value Fdatasync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd) || !GetCallback(info, 1, &callback)) return env.Undefined();
  (new SyncCall(callback, fd))->Queue();
  return env.Undefined();
}

}  // namespace

void RegisterFileIo(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("pread", Napi::Function::New(env, Transfer<false, false>, "pread"));
  exports.Set("pwrite", Napi::Function::New(env, Transfer<true, false>, "pwrite"));
  exports.Set("pwriteFua", Napi::Function::New(env, Transfer<true, true>, "pwriteFua"));
  exports.Set("preadv", Napi::Function::New(env, VectorTransfer<false, false>, "preadv"));
  exports.Set("pwritev", Napi::Function::New(env, VectorTransfer<true, false>, "pwritev"));
  exports.Set("pwritevFua", Napi::Function::New(env, VectorTransfer<true, true>, "pwritevFua"));
  exports.Set("fdatasync", Napi::Function::New(env, Fdatasync, "fdatasync"));
}

}  // namespace tandem
