// Full-length positional I/O loops for the worker threads. Each returns 0 or an
// errno value and never touches JS. Reads past end-of-file fill with zeroes, so a
// sparse image shorter than its configured size reads like a zeroed one.
#pragma once
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace tandem {

int ReadFully(int fd, uint8_t* data, size_t length, uint64_t offset);
int ReadFullyV(int fd, const iovec* iov, size_t count, uint64_t offset);

// `dsync` makes the data durable before returning (FUA): RWF_DSYNC where the
// kernel and filesystem support it, else a write followed by fdatasync.
int WriteFully(int fd, const uint8_t* data, size_t length, uint64_t offset, bool dsync);
int WriteFullyV(int fd, const iovec* iov, size_t count, uint64_t offset, bool dsync);

int DataSync(int fd);

}  // namespace tandem
