// Space management: deallocating ranges (discard) and reporting which ranges are
// allocated (for GET LBA STATUS), on sparse files and block devices.
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "args.h"
#include "async_call.h"
#include "exports.h"

namespace tandem {
namespace {

class DiscardCall : public AsyncCall {
 public:
  DiscardCall(Napi::Function callback, int fd, uint64_t offset, uint64_t length, bool block_device)
      : AsyncCall(callback, block_device ? "ioctl(BLKDISCARD)" : "fallocate"),
        fd_(fd),
        offset_(offset),
        length_(length),
        block_device_(block_device) {}

 private:
  void Execute() override {
    if (length_ == 0) return;
    if (block_device_) {
      uint64_t range[2] = {offset_, length_};
      if (ioctl(fd_, BLKDISCARD, &range) != 0) Fail(errno, "ioctl(BLKDISCARD)");
      return;
    }
    // KEEP_SIZE: punching the tail must not shrink the image.
    while (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset_),
                     static_cast<off_t>(length_)) != 0) {
      if (errno != EINTR) {
        Fail(errno, "fallocate");
        return;
      }
    }
  }

  int fd_;
  uint64_t offset_;
  uint64_t length_;
  bool block_device_;
};

Napi::Value Discard(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  uint64_t offset, length;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd) || !GetUint53(info, 1, "offset", &offset) || !GetUint53(info, 2, "length", &length)) {
    return env.Undefined();
  }
  bool block_device = info[3].ToBoolean().Value();
  if (!GetCallback(info, 4, &callback)) return env.Undefined();
  (new DiscardCall(callback, fd, offset, length, block_device))->Queue();
  return env.Undefined();
}

// Status of the extent at `offset`: mapped or not, and how many bytes (at most
// maxLength) share it. Uses SEEK_DATA/SEEK_HOLE; where those are unsupported
// (block devices, some filesystems) everything reports as mapped.
class AllocationCall : public AsyncCall {
 public:
  AllocationCall(Napi::Function callback, int fd, uint64_t offset, uint64_t max_length)
      : AsyncCall(callback, "lseek"), fd_(fd), offset_(offset), max_length_(max_length) {}

 private:
  void Execute() override {
    length_ = max_length_;
    off_t data = lseek(fd_, static_cast<off_t>(offset_), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) {
        mapped_ = false;  // no data at or after offset: the rest of the file is a hole
      } else if (errno == EINVAL || errno == EOPNOTSUPP) {
        mapped_ = true;  // cannot tell; claiming mapped is always safe
      } else {
        Fail(errno, "lseek(SEEK_DATA)");
      }
      return;
    }
    uint64_t data_start = static_cast<uint64_t>(data);
    if (data_start > offset_) {
      mapped_ = false;
      Clamp(data_start - offset_);
      return;
    }
    mapped_ = true;
    off_t hole = lseek(fd_, static_cast<off_t>(offset_), SEEK_HOLE);
    if (hole < 0) {
      if (errno != ENXIO) Fail(errno, "lseek(SEEK_HOLE)");
      return;
    }
    Clamp(static_cast<uint64_t>(hole) - offset_);
  }

  void Clamp(uint64_t length) {
    if (length < length_) length_ = length;
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("mapped", Napi::Boolean::New(env, mapped_));
    result.Set("length", Napi::Number::New(env, static_cast<double>(length_)));
    return result;
  }

  int fd_;
  uint64_t offset_;
  uint64_t max_length_;
  bool mapped_ = true;
  uint64_t length_ = 0;
};

Napi::Value Allocation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  uint64_t offset, max_length;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd) || !GetUint53(info, 1, "offset", &offset) ||
      !GetUint53(info, 2, "maxLength", &max_length) || !GetCallback(info, 3, &callback)) {
    return env.Undefined();
  }
  (new AllocationCall(callback, fd, offset, max_length))->Queue();
  return env.Undefined();
}

}  // namespace

void RegisterSpace(Napi::Env env, Napi::Object exports) {
  exports.Set("discard", Napi::Function::New(env, Discard, "discard"));
  exports.Set("allocation", Napi::Function::New(env, Allocation, "allocation"));
}

}  // namespace tandem
