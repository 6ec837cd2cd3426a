#include "io_loops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <vector>

namespace tandem {
namespace {

constexpr size_t kDirectAlignment = 4096;

// Set once the kernel or filesystem has refused RWF_DSYNC, to skip the retry after.
std::atomic<bool> dsync_flag_unsupported{false};

bool IsDirect(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_DIRECT) != 0;
}

bool Misaligned(const iovec* iov, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if ((reinterpret_cast<uintptr_t>(iov[i].iov_base) | iov[i].iov_len) % kDirectAlignment != 0) return true;
  }
  return false;
}

size_t TotalLength(const iovec* iov, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) total += iov[i].iov_len;
  return total;
}

// Drops `bytes` from the front of the iovec list (after a short transfer).
void Advance(std::vector<iovec>& iov, size_t& first, size_t bytes) {
  while (bytes > 0 && first < iov.size()) {
    size_t take = bytes < iov[first].iov_len ? bytes : iov[first].iov_len;
    iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + take;
    iov[first].iov_len -= take;
    bytes -= take;
    if (iov[first].iov_len == 0) first++;
  }
  while (first < iov.size() && iov[first].iov_len == 0) first++;
}

void ZeroRemaining(std::vector<iovec>& iov, size_t first) {
  for (size_t i = first; i < iov.size(); i++) memset(iov[i].iov_base, 0, iov[i].iov_len);
}

class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t length) {
    if (posix_memalign(&data_, kDirectAlignment, length == 0 ? kDirectAlignment : length) != 0) data_ = nullptr;
  }
  ~AlignedBuffer() { free(data_); }
  uint8_t* data() const { return static_cast<uint8_t*>(data_); }

 private:
  void* data_ = nullptr;
};

int ReadLoop(int fd, std::vector<iovec> iov, uint64_t offset) {
  size_t first = 0;
  while (first < iov.size() && iov[first].iov_len == 0) first++;
  while (first < iov.size()) {
    size_t count = iov.size() - first;
    if (count > IOV_MAX) count = IOV_MAX;
    ssize_t n = preadv(fd, &iov[first], static_cast<int>(count), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) {
      ZeroRemaining(iov, first);
      return 0;
    }
    offset += static_cast<uint64_t>(n);
    Advance(iov, first, static_cast<size_t>(n));
  }
  return 0;
}

int WriteLoop(int fd, std::vector<iovec> iov, uint64_t offset, bool dsync) {
  size_t first = 0;
  while (first < iov.size() && iov[first].iov_len == 0) first++;
  bool sync_after = dsync && dsync_flag_unsupported.load(std::memory_order_relaxed);
  int flags = dsync && !sync_after ? RWF_DSYNC : 0;
  while (first < iov.size()) {
    size_t count = iov.size() - first;
    if (count > IOV_MAX) count = IOV_MAX;
    ssize_t n = pwritev2(fd, &iov[first], static_cast<int>(count), static_cast<off_t>(offset), flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (flags != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
        dsync_flag_unsupported.store(true, std::memory_order_relaxed);
        flags = 0;
        sync_after = true;
        continue;
      }
      return errno;
    }
    if (n == 0) return EIO;  // no progress on a regular write: never expected
    offset += static_cast<uint64_t>(n);
    Advance(iov, first, static_cast<size_t>(n));
  }
  return sync_after ? DataSync(fd) : 0;
}

// O_DIRECT needs aligned memory; JS Buffers usually are not, so stage through an
// aligned copy. Offsets and lengths must still be block multiples (the SCSI layer's job).
int ReadBounced(int fd, const iovec* iov, size_t count, uint64_t offset) {
  size_t total = TotalLength(iov, count);
  AlignedBuffer bounce(total);
  if (bounce.data() == nullptr) return ENOMEM;
  int err = ReadLoop(fd, {{bounce.data(), total}}, offset);
  if (err != 0) return err;
  const uint8_t* from = bounce.data();
  for (size_t i = 0; i < count; i++) {
    memcpy(iov[i].iov_base, from, iov[i].iov_len);
    from += iov[i].iov_len;
  }
  return 0;
}

int WriteBounced(int fd, const iovec* iov, size_t count, uint64_t offset, bool dsync) {
  size_t total = TotalLength(iov, count);
  AlignedBuffer bounce(total);
  if (bounce.data() == nullptr) return ENOMEM;
  uint8_t* to = bounce.data();
  for (size_t i = 0; i < count; i++) {
    memcpy(to, iov[i].iov_base, iov[i].iov_len);
    to += iov[i].iov_len;
  }
  return WriteLoop(fd, {{bounce.data(), total}}, offset, dsync);
}

}  // namespace

int ReadFullyV(int fd, const iovec* iov, size_t count, uint64_t offset) {
  int err = ReadLoop(fd, std::vector<iovec>(iov, iov + count), offset);
  if (err == EINVAL && Misaligned(iov, count) && IsDirect(fd)) return ReadBounced(fd, iov, count, offset);
  return err;
}

int WriteFullyV(int fd, const iovec* iov, size_t count, uint64_t offset, bool dsync) {
  int err = WriteLoop(fd, std::vector<iovec>(iov, iov + count), offset, dsync);
  if (err == EINVAL && Misaligned(iov, count) && IsDirect(fd)) return WriteBounced(fd, iov, count, offset, dsync);
  return err;
}

int ReadFully(int fd, uint8_t* data, size_t length, uint64_t offset) {
  iovec one{data, length};
  return ReadFullyV(fd, &one, 1, offset);
}

int WriteFully(int fd, const uint8_t* data, size_t length, uint64_t offset, bool dsync) {
  iovec one{const_cast<uint8_t*>(data), length};
  return WriteFullyV(fd, &one, 1, offset, dsync);
}

int DataSync(int fd) {
  while (fdatasync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace tandem
