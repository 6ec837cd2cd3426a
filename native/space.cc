// Space management: deallocating ranges (discard) and reporting which ranges are
// allocated (for GET LBA STATUS), on sparse files and block devices.
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "args.h"
#include "async_call.h"
#include "exports.h"

namespace tandem {
namespace {

// On a block device: fallocate(PUNCH_HOLE | KEEP_SIZE), which the kernel (4.9+) turns into
// WRITE ZEROES allowing the device to deallocate (NVMe Write Zeroes with DEAC, SCSI WRITE
// SAME with UNMAP, a loop device's hole punch): reads of the range return zeroes afterwards,
// as the LBPRZ=1 we report promises. BLKDISCARD promises no such thing (an SSD may return
// old data, or anything, after a TRIM), so it is not used. A device without WRITE ZEROES
// (EOPNOTSUPP) gets BLKZEROOUT: zeroes written, nothing deallocated, but reads are right.
// Both take whole logical blocks only (EINVAL otherwise): the store rounds the range inward
// and zeroes the unaligned head and tail itself.
class DiscardCall : public AsyncCall {
 public:
  DiscardCall(Napi::Function callback, int fd, uint64_t offset, uint64_t length, bool block_device)
      : AsyncCall(callback, "fallocate"), fd_(fd), offset_(offset), length_(length), block_device_(block_device) {}

 private:
  void Execute() override {
    if (length_ == 0) return;
    // KEEP_SIZE: punching the tail must not shrink the image (and a block device requires it).
    int err = PunchHole();
    if (err == 0) return;
    if (block_device_ && (err == EOPNOTSUPP || err == ENODEV)) {
      uint64_t range[2] = {offset_, length_};
      while (ioctl(fd_, BLKZEROOUT, &range) != 0) {
        if (errno != EINTR) {
          Fail(errno, "ioctl(BLKZEROOUT)");
          return;
        }
      }
      return;
    }
    Fail(err, "fallocate");
  }

  int PunchHole() {
    while (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset_),
                     static_cast<off_t>(length_)) != 0) {
      if (errno != EINTR) return errno;
    }
    return 0;
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
// max_length) share it. Uses SEEK_DATA/SEEK_HOLE; where those are unsupported
// (block devices, some filesystems) everything reports as mapped. Returns 0 or an
// errno, with `syscall` naming the call that failed.
int ExtentAt(int fd, uint64_t offset, uint64_t max_length, bool* mapped, uint64_t* length, const char** syscall) {
  *length = max_length;
  *mapped = true;
  off_t data = lseek(fd, static_cast<off_t>(offset), SEEK_DATA);
  if (data < 0) {
    if (errno == ENXIO) {
      *mapped = false;  // no data at or after offset: the rest of the file is a hole
    } else if (errno != EINVAL && errno != EOPNOTSUPP) {
      *syscall = "lseek(SEEK_DATA)";
      return errno;
    }
    return 0;  // EINVAL/EOPNOTSUPP: cannot tell; claiming mapped is always safe
  }
  uint64_t data_start = static_cast<uint64_t>(data);
  if (data_start > offset) {
    *mapped = false;
    *length = std::min(max_length, data_start - offset);
    return 0;
  }
  off_t hole = lseek(fd, static_cast<off_t>(offset), SEEK_HOLE);
  if (hole < 0) {
    if (errno == ENXIO) return 0;
    *syscall = "lseek(SEEK_HOLE)";
    return errno;
  }
  *length = std::min(max_length, static_cast<uint64_t>(hole) - offset);
  return 0;
}

class AllocationCall : public AsyncCall {
 public:
  AllocationCall(Napi::Function callback, int fd, uint64_t offset, uint64_t max_length)
      : AsyncCall(callback, "lseek"), fd_(fd), offset_(offset), max_length_(max_length) {}

 private:
  void Execute() override {
    const char* syscall = "lseek";
    int err = ExtentAt(fd_, offset_, max_length_, &mapped_, &length_, &syscall);
    if (err != 0) Fail(err, syscall);
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

// The extents from `offset` on, up to max_length bytes or max_extents extents, in one job:
// a walk over a large thin file (a first sync) asks once per few hundred extents, not once
// per extent. Result: (offset, length, mapped 0/1) triples in a Float64Array.
class AllocationMapCall : public AsyncCall {
 public:
  AllocationMapCall(Napi::Function callback, int fd, uint64_t offset, uint64_t max_length, uint32_t max_extents)
      : AsyncCall(callback, "lseek"), fd_(fd), offset_(offset), max_length_(max_length), max_extents_(max_extents) {}

 private:
  void Execute() override {
    uint64_t at = offset_;
    const uint64_t end = offset_ + max_length_;
    while (at < end && extents_.size() / 3 < max_extents_) {
      bool mapped;
      uint64_t length;
      const char* syscall = "lseek";
      int err = ExtentAt(fd_, at, end - at, &mapped, &length, &syscall);
      if (err != 0) {
        Fail(err, syscall);
        return;
      }
      if (length == 0) break;
      extents_.push_back(static_cast<double>(at));
      extents_.push_back(static_cast<double>(length));
      extents_.push_back(mapped ? 1 : 0);
      at += length;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Float64Array out = Napi::Float64Array::New(env, extents_.size());
    for (size_t i = 0; i < extents_.size(); i++) out[i] = extents_[i];
    return out;
  }

  int fd_;
  uint64_t offset_;
  uint64_t max_length_;
  uint32_t max_extents_;
  std::vector<double> extents_;
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

Napi::Value AllocationMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  uint64_t offset, max_length, max_extents;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd) || !GetUint53(info, 1, "offset", &offset) || !GetUint53(info, 2, "maxLength", &max_length) ||
      !GetUint53(info, 3, "maxExtents", &max_extents) || !GetCallback(info, 4, &callback)) {
    return env.Undefined();
  }
  if (max_extents == 0 || max_extents > 65536) {
    Napi::RangeError::New(env, "maxExtents must be 1-65536").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  (new AllocationMapCall(callback, fd, offset, max_length, static_cast<uint32_t>(max_extents)))->Queue();
  return env.Undefined();
}

}  // namespace

void RegisterSpace(Napi::Env env, Napi::Object exports) {
  exports.Set("discard", Napi::Function::New(env, Discard, "discard"));
  exports.Set("allocation", Napi::Function::New(env, Allocation, "allocation"));
  exports.Set("allocationMap", Napi::Function::New(env, AllocationMap, "allocationMap"));
}

}  // namespace tandem
