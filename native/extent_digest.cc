#include "extent_digest.h"

#include <errno.h>
#include <stdlib.h>

#include "args.h"
#include "async_call.h"
#include "io_loops.h"

namespace tandem {
namespace {

constexpr size_t kChunkAlignment = 4096;  // lets O_DIRECT descriptors read straight in

class ChunkBuffer {
 public:
  ChunkBuffer() {
    if (posix_memalign(&data_, kChunkAlignment, kPieceLength) != 0) data_ = nullptr;
  }
  ~ChunkBuffer() { free(data_); }
  uint8_t* data() const { return static_cast<uint8_t*>(data_); }

 private:
  void* data_ = nullptr;
};

class FileSource : public ExtentSource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}

  int ReadInOrder(PieceCursor& pieces, const PieceConsumer& consume) override {
    ChunkBuffer chunk;
    if (chunk.data() == nullptr) return ENOMEM;
    Piece piece;
    while (pieces.Next(&piece)) {
      int err = ReadFully(fd_, chunk.data(), piece.length, piece.offset);
      if (err != 0) return err;
      if (!consume(piece, chunk.data())) return EIO;
    }
    return 0;
  }
  const char* Syscall() const override { return "pread"; }

 private:
  int fd_;
};

// One worker hashes every extent of a batch straight into the Buffer that becomes the
// result (made by StartExtentsDigest on the main thread).
class ExtentsDigestCall : public AsyncCall {
 public:
  ExtentsDigestCall(Napi::Function callback, std::unique_ptr<ExtentSource> source, std::vector<uint64_t> extents,
                    DigestAlgorithm algorithm, Napi::Buffer<uint8_t> out)
      : AsyncCall(callback, source->Syscall()),
        source_(std::move(source)),
        extents_(std::move(extents)),
        algorithm_(algorithm),
        out_data_(out.Data()),
        out_ref_(Napi::Persistent(out.As<Napi::Object>())) {}

 private:
  void Execute() override {
    Hasher hasher(algorithm_);
    size_t length = DigestLength(algorithm_);
    PieceCursor pieces(extents_);
    int err = source_->ReadInOrder(pieces, [&](const Piece& piece, const uint8_t* data) {
      if (piece.first && !hasher.Begin()) return false;
      if (piece.length > 0 && !hasher.Update(data, piece.length)) return false;
      return !piece.last || hasher.Finish(out_data_ + piece.extent * length);
    });
    if (err != 0) Fail(err, source_->Syscall());
  }
  Napi::Value Result(Napi::Env env) override { return out_ref_.Value(); }

  std::unique_ptr<ExtentSource> source_;
  std::vector<uint64_t> extents_;
  DigestAlgorithm algorithm_;
  uint8_t* out_data_;  // taken on the main thread: workers must not touch napi values
  Napi::ObjectReference out_ref_;
};

}  // namespace

bool PieceCursor::Next(Piece* out) {
  if (2 * extent_ >= extents_.size()) return false;
  uint64_t offset = extents_[2 * extent_];
  uint64_t length = extents_[2 * extent_ + 1];
  uint64_t left = length - done_;
  size_t take = left < kPieceLength ? static_cast<size_t>(left) : kPieceLength;
  *out = {offset + done_, take, extent_, done_ == 0, take == left};
  done_ += take;
  if (take == left) {
    extent_++;
    done_ = 0;
  }
  return true;
}

std::unique_ptr<ExtentSource> FileExtentSource(int fd) { return std::make_unique<FileSource>(fd); }

void StartExtentsDigest(Napi::Env env, Napi::Function callback, std::unique_ptr<ExtentSource> source,
                        std::vector<uint64_t> extents, DigestAlgorithm algorithm) {
  auto out = Napi::Buffer<uint8_t>::New(env, extents.size() / 2 * DigestLength(algorithm));
  (new ExtentsDigestCall(callback, std::move(source), std::move(extents), algorithm, out))->Queue();
}

bool ReadExtents(Napi::Env env, Napi::Value value, std::vector<uint64_t>* out) {
  if (!value.IsTypedArray()) return ThrowType(env, "extents must be a Float64Array or BigUint64Array");
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  size_t count = array.ElementLength();
  if (count % 2 != 0) return ThrowRange(env, "extents must hold (offset, length) pairs");
  out->resize(count);
  if (array.TypedArrayType() == napi_float64_array) {
    const double* values = array.As<Napi::Float64Array>().Data();
    for (size_t i = 0; i < count; i++) {
      double v = values[i];
      if (!(v >= 0) || v > 9007199254740992.0 || v != static_cast<double>(static_cast<uint64_t>(v))) {
        return ThrowRange(env, "extent offsets and lengths must be non-negative safe integers");
      }
      (*out)[i] = static_cast<uint64_t>(v);
    }
    return true;
  }
  if (array.TypedArrayType() == napi_biguint64_array) {
    const uint64_t* values = array.As<Napi::TypedArrayOf<uint64_t>>().Data();
    for (size_t i = 0; i < count; i++) {
      if (values[i] > static_cast<uint64_t>(INT64_MAX)) return ThrowRange(env, "extent beyond the largest file offset");
      (*out)[i] = values[i];
    }
    return true;
  }
  return ThrowType(env, "extents must be a Float64Array or BigUint64Array");
}

}  // namespace tandem
