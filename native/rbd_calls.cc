#include "rbd_calls.h"

#include <errno.h>

#include <algorithm>
#include <cstdlib>

#include "async_call.h"

namespace tandem {
namespace {

// The first run of [offset, offset+length) that shares offset's allocation status.
struct AllocationScan {
  uint64_t start;
  uint64_t end;
  bool found = false;
  bool mapped = false;
  uint64_t run_end = 0;
};

// Extents arrive in offset order; returning an error ends the walk early (-ECANCELED is ours).
int OnExtent(uint64_t offset, size_t length, int exists, void* arg) {
  auto* scan = static_cast<AllocationScan*>(arg);
  if (!exists) return 0;
  uint64_t from = std::max(offset, scan->start);
  uint64_t to = std::min(offset + length, scan->end);
  if (from >= to) return 0;
  if (!scan->found) {
    scan->found = true;
    scan->mapped = from == scan->start;
    scan->run_end = scan->mapped ? to : from;
    return scan->mapped ? 0 : -ECANCELED;
  }
  if (from != scan->run_end) return -ECANCELED;
  scan->run_end = to;
  return 0;
}

class AllocationCall : public AsyncCall {
 public:
  AllocationCall(Napi::Function callback, rbd_image_t image, uint64_t offset, uint64_t length)
      : AsyncCall(callback, "rbd_diff_iterate2"), image_(image), scan_{offset, offset + length} {}

 private:
  void Execute() override {
    // Whole history (no snapshot), parent included, exact extents rather than whole objects.
    int r = rbd_diff_iterate2(image_, nullptr, scan_.start, scan_.end - scan_.start, 1, 0, OnExtent, &scan_);
    if (r < 0 && r != -ECANCELED) Fail(-r, "rbd_diff_iterate2");
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    uint64_t end = !scan_.found ? scan_.end : scan_.run_end;
    result.Set("mapped", Napi::Boolean::New(env, scan_.found && scan_.mapped));
    result.Set("length", Napi::Number::New(env, static_cast<double>(end - scan_.start)));
    return result;
  }

  rbd_image_t image_;
  AllocationScan scan_;
};

constexpr size_t kReadAhead = 4;

class RbdSource : public ExtentSource {
 public:
  explicit RbdSource(rbd_image_t image) : image_(image) {}

  int ReadInOrder(PieceCursor& pieces, const PieceConsumer& consume) override {
    Slot slots[kReadAhead];
    for (Slot& slot : slots) {
      slot.data = static_cast<uint8_t*>(malloc(kPieceLength));
      if (slot.data == nullptr) return Drain(slots, ENOMEM);
    }
    size_t next = 0;  // the slot whose piece is consumed next; slots fill in ring order
    for (size_t i = 0; i < kReadAhead; i++) {
      int err = Issue(slots[i], pieces);
      if (err != 0) return Drain(slots, err);
    }
    while (slots[next].busy) {
      Slot& slot = slots[next];
      int err = Wait(slot);
      if (err == 0 && !consume(slot.piece, slot.data)) err = EIO;
      if (err == 0) err = Issue(slot, pieces);
      if (err != 0) return Drain(slots, err);
      next = (next + 1) % kReadAhead;
    }
    return Drain(slots, 0);
  }
  const char* Syscall() const override { return "rbd_aio_read"; }

 private:
  struct Slot {
    uint8_t* data = nullptr;
    Piece piece{};
    rbd_completion_t completion = nullptr;
    bool busy = false;  // holds a piece not yet consumed
  };

  int Issue(Slot& slot, PieceCursor& pieces) {
    if (!pieces.Next(&slot.piece)) return 0;
    slot.busy = true;
    if (slot.piece.length == 0) return 0;
    int r = rbd_aio_create_completion(nullptr, nullptr, &slot.completion);
    if (r == 0) r = rbd_aio_read(image_, slot.piece.offset, slot.piece.length, reinterpret_cast<char*>(slot.data), slot.completion);
    if (r < 0 && slot.completion != nullptr) {
      rbd_aio_release(slot.completion);
      slot.completion = nullptr;
    }
    return r < 0 ? -r : 0;
  }

  static int Wait(Slot& slot) {
    slot.busy = false;
    if (slot.completion == nullptr) return 0;
    rbd_aio_wait_for_complete(slot.completion);
    ssize_t r = rbd_aio_get_return_value(slot.completion);
    rbd_aio_release(slot.completion);
    slot.completion = nullptr;
    return r < 0 ? static_cast<int>(-r) : 0;
  }

  // Waits for reads still in flight (they write into the slots' buffers), then frees them.
  static int Drain(Slot (&slots)[kReadAhead], int err) {
    for (Slot& slot : slots) {
      Wait(slot);
      free(slot.data);
    }
    return err;
  }

  rbd_image_t image_;
};

class CloseCall : public AsyncCall {
 public:
  CloseCall(Napi::Function callback, RbdOpened opened, std::function<void()> after)
      : AsyncCall(callback, "rbd_close"), opened_(opened), after_(std::move(after)) {}
  // On the JS thread, after the callback, whether or not rbd_close failed.
  ~CloseCall() override { after_(); }

 private:
  void Execute() override {
    int r = rbd_close(opened_.image);
    ReleaseRbdPool(&opened_.pool);
    if (r < 0) Fail(-r, "rbd_close");
  }
  RbdOpened opened_;
  std::function<void()> after_;
};

}  // namespace

void StartRbdAllocation(Napi::Function callback, rbd_image_t image, uint64_t offset, uint64_t length) {
  (new AllocationCall(callback, image, offset, length))->Queue();
}

std::unique_ptr<ExtentSource> RbdExtentSource(rbd_image_t image) { return std::make_unique<RbdSource>(image); }

void StartRbdClose(Napi::Function callback, RbdOpened opened, std::function<void()> after) {
  (new CloseCall(callback, opened, std::move(after)))->Queue();
}

}  // namespace tandem
