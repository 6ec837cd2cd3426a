// Extent digests over any store's bytes, one threadpool job per batch of extents: the file
// store reads with pread, the RBD store with pipelined aio reads; both share this driver
// and the hashing (hasher.h).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "hasher.h"

namespace tandem {

// Extents are hashed through pieces of at most this many bytes, whatever their length.
constexpr size_t kPieceLength = 1 << 20;

// One bounded read of an extent: `first`/`last` mark the extent's ends (an empty extent is
// one piece with both set and length 0).
struct Piece {
  uint64_t offset;
  size_t length;
  size_t extent;
  bool first;
  bool last;
};

// Splits (offset, length) pairs into pieces, in order, without materialising the list (a
// whole-device extent is a million pieces per TiB).
class PieceCursor {
 public:
  explicit PieceCursor(const std::vector<uint64_t>& extents) : extents_(extents) {}
  bool Next(Piece* out);

 private:
  const std::vector<uint64_t>& extents_;
  size_t extent_ = 0;
  uint64_t done_ = 0;
};

// Gets each piece's bytes (valid only during the call), in piece order; false stops the read.
using PieceConsumer = std::function<bool(const Piece&, const uint8_t*)>;

// A store's bytes, read on a worker thread.
class ExtentSource {
 public:
  virtual ~ExtentSource() = default;
  // Reads every piece `pieces` yields and hands it to `consume`, in order; returns 0, the
  // first errno, or EIO when `consume` refused a piece.
  virtual int ReadInOrder(PieceCursor& pieces, const PieceConsumer& consume) = 0;
  // The call a failure names (the JS error's `syscall`).
  virtual const char* Syscall() const = 0;
};

std::unique_ptr<ExtentSource> FileExtentSource(int fd);

// Queues one job that hashes every (offset, length) pair of `extents` from `source`; the
// callback gets (err, Buffer of one digest per pair, back to back).
void StartExtentsDigest(Napi::Env env, Napi::Function callback, std::unique_ptr<ExtentSource> source,
                        std::vector<uint64_t> extents, DigestAlgorithm algorithm);

// Reads a Float64Array or BigUint64Array of (offset, length) pairs; throws and returns false otherwise.
bool ReadExtents(Napi::Env env, Napi::Value value, std::vector<uint64_t>* out);

}  // namespace tandem
