// The RBD store's calls that run on the libuv threadpool: opening (connects, may create),
// allocation (rbd_diff_iterate2 is synchronous), extent digests (one job per batch,
// pipelined aio reads) and closing (rbd_close waits for the image's writeback).
#pragma once
#include <napi.h>
#include <rbd/librbd.h>

#include <functional>
#include <memory>

#include "extent_digest.h"
#include "rbd_image.h"

namespace tandem {

void StartRbdAllocation(Napi::Function callback, rbd_image_t image, uint64_t offset, uint64_t length);

// Reads pieces with up to a few aio reads in flight (one at a time would cost a network
// round trip per MiB hashed).
std::unique_ptr<ExtentSource> RbdExtentSource(rbd_image_t image);

// Closes the image and drops its pool reference, then runs `after` on the JS thread.
void StartRbdClose(Napi::Function callback, RbdOpened opened, std::function<void()> after);

}  // namespace tandem
