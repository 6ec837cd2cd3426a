// Extent digests for replica verification (SHA-256, or XXH3-128 where built: hasher.h)
// over file ranges and in-memory buffers, and SHA-256/HMAC-SHA-256 through the OpenSSL
// node itself exports, for CHAP.
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "args.h"
#include "async_call.h"
#include "exports.h"
#include "hasher.h"
#include "io_loops.h"

namespace tandem {
namespace {

constexpr size_t kSha256Length = 32;
// File ranges are hashed through one bounded chunk per worker, whatever their length.
constexpr size_t kChunkLength = 1 << 20;
constexpr size_t kChunkAlignment = 4096;  // lets O_DIRECT descriptors read straight in

class ChunkBuffer {
 public:
  ChunkBuffer() {
    if (posix_memalign(&data_, kChunkAlignment, kChunkLength) != 0) data_ = nullptr;
  }
  ~ChunkBuffer() { free(data_); }
  uint8_t* data() const { return static_cast<uint8_t*>(data_); }

 private:
  void* data_ = nullptr;
};

// Hashes [offset, offset+length) of fd into out; returns 0 or an errno.
int HashRange(int fd, uint64_t offset, uint64_t length, Hasher& hasher, const ChunkBuffer& chunk, uint8_t* out) {
  if (!hasher.Begin()) return ENOMEM;
  while (length > 0) {
    size_t take = length < kChunkLength ? static_cast<size_t>(length) : kChunkLength;
    int err = ReadFully(fd, chunk.data(), take, offset);
    if (err != 0) return err;
    if (!hasher.Update(chunk.data(), take)) return EIO;
    offset += take;
    length -= take;
  }
  return hasher.Finish(out) ? 0 : EIO;
}

class BufferDigestCall : public AsyncCall {
 public:
  BufferDigestCall(Napi::Function callback, Napi::Buffer<uint8_t> buffer)
      : AsyncCall(callback, "sha256"),
        data_(buffer.Data()),
        length_(buffer.Length()),
        buffer_ref_(Napi::Persistent(buffer.As<Napi::Object>())) {}

 private:
  void Execute() override {
    if (EVP_Digest(data_, length_, digest_, nullptr, EVP_sha256(), nullptr) != 1) Fail(EIO, "sha256");
  }
  Napi::Value Result(Napi::Env env) override { return Napi::Buffer<uint8_t>::Copy(env, digest_, kSha256Length); }

  const uint8_t* data_;
  size_t length_;
  Napi::ObjectReference buffer_ref_;
  uint8_t digest_[kSha256Length];
};

// One worker hashes every extent of a batch, [offset0, length0, offset1, length1, ...],
// straight into the Buffer that becomes the result (made by Start on the main thread).
class ExtentsDigestCall : public AsyncCall {
 public:
  static void Start(Napi::Env env, Napi::Function callback, int fd, std::vector<uint64_t> extents, DigestAlgorithm algorithm) {
    auto out = Napi::Buffer<uint8_t>::New(env, extents.size() / 2 * DigestLength(algorithm));
    (new ExtentsDigestCall(callback, fd, std::move(extents), algorithm, out))->Queue();
  }

 private:
  ExtentsDigestCall(Napi::Function callback, int fd, std::vector<uint64_t> extents, DigestAlgorithm algorithm, Napi::Buffer<uint8_t> out)
      : AsyncCall(callback, "pread"),
        fd_(fd),
        extents_(std::move(extents)),
        algorithm_(algorithm),
        out_data_(out.Data()),
        out_ref_(Napi::Persistent(out.As<Napi::Object>())) {}

  void Execute() override {
    ChunkBuffer chunk;
    Hasher hasher(algorithm_);
    if (chunk.data() == nullptr) return Fail(ENOMEM, "posix_memalign");
    size_t length = DigestLength(algorithm_);
    for (size_t i = 0; i * 2 < extents_.size(); i++) {
      int err = HashRange(fd_, extents_[2 * i], extents_[2 * i + 1], hasher, chunk, out_data_ + i * length);
      if (err != 0) return Fail(err, "pread");
    }
  }
  Napi::Value Result(Napi::Env env) override { return out_ref_.Value(); }

  int fd_;
  std::vector<uint64_t> extents_;
  DigestAlgorithm algorithm_;
  uint8_t* out_data_;  // taken on the main thread: workers must not touch napi values
  Napi::ObjectReference out_ref_;
};

Napi::Value Sha256Async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buffer;
  Napi::Function callback;
  if (!GetBuffer(info, 0, &buffer) || !GetCallback(info, 1, &callback)) return env.Undefined();
  (new BufferDigestCall(callback, buffer))->Queue();
  return env.Undefined();
}

Napi::Value Sha256Sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buffer;
  if (!GetBuffer(info, 0, &buffer)) return env.Undefined();
  uint8_t digest[kSha256Length];
  if (EVP_Digest(buffer.Data(), buffer.Length(), digest, nullptr, EVP_sha256(), nullptr) != 1) {
    ThrowErrno(env, EIO, "sha256");
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, digest, kSha256Length);
}

Napi::Value HmacSha256(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> key, data;
  if (!GetBuffer(info, 0, &key) || !GetBuffer(info, 1, &data)) return env.Undefined();
  uint8_t digest[kSha256Length];
  unsigned int digest_length = 0;
  // OpenSSL reads a null key as "reuse the previous key" and fails; an empty
  // Buffer may have a null data pointer, so point it somewhere valid.
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* key_bytes = key.Length() == 0 ? kEmpty : key.Data();
  const uint8_t* data_bytes = data.Length() == 0 ? kEmpty : data.Data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.Length()), data_bytes, data.Length(), digest,
           &digest_length) == nullptr) {
    ThrowErrno(env, EIO, "hmac");
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, digest, digest_length);
}

Napi::Value Sha256File(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  uint64_t offset, length;
  Napi::Function callback;
  if (!GetFd(info, 0, &fd) || !GetUint53(info, 1, "offset", &offset) || !GetUint53(info, 2, "length", &length) ||
      !GetCallback(info, 3, &callback)) {
    return env.Undefined();
  }
  ExtentsDigestCall::Start(env, callback, fd, {offset, length}, DigestAlgorithm::kSha256);
  return env.Undefined();
}

// Extents come as a Float64Array or BigUint64Array of (offset, length) pairs.
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

Napi::Value DigestExtents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  std::vector<uint64_t> extents;
  Napi::Function callback;
  DigestAlgorithm algorithm;
  if (!GetFd(info, 0, &fd) || !ReadExtents(env, info[1], &extents) || !GetAlgorithm(info, 2, &algorithm) ||
      !GetCallback(info, 3, &callback)) {
    return env.Undefined();
  }
  ExtentsDigestCall::Start(env, callback, fd, std::move(extents), algorithm);
  return env.Undefined();
}

// digestInto(algorithm, parts, out, offset): the digest of the parts' concatenation, written
// at out[offset]. Synchronous: for bytes already in memory (MemoryBlockStore, a delta pass's
// chunk), where a threadpool hop would cost more than hashing a chunk.
Napi::Value DigestInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DigestAlgorithm algorithm;
  Napi::Buffer<uint8_t> out;
  uint64_t offset;
  if (!GetAlgorithm(info, 0, &algorithm)) return env.Undefined();
  if (!info[1].IsArray()) {
    ThrowType(env, "parts must be an array of Buffers");
    return env.Undefined();
  }
  if (!GetBuffer(info, 2, &out) || !GetUint53(info, 3, "offset", &offset)) return env.Undefined();
  if (offset > out.Length() || out.Length() - offset < DigestLength(algorithm)) {
    ThrowRange(env, "no room for the digest at that offset");
    return env.Undefined();
  }
  Napi::Array parts = info[1].As<Napi::Array>();
  Hasher hasher(algorithm);
  bool ok = hasher.Begin();
  for (uint32_t i = 0; ok && i < parts.Length(); i++) {
    Napi::Value part = parts.Get(i);
    if (!part.IsBuffer()) {
      ThrowType(env, "parts must be an array of Buffers");
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> bytes = part.As<Napi::Buffer<uint8_t>>();
    ok = hasher.Update(bytes.Data(), bytes.Length());
  }
  uint8_t digest[kMaxDigestLength];
  if (!ok || !hasher.Finish(digest)) {
    ThrowErrno(env, EIO, "digest");
    return env.Undefined();
  }
  memcpy(out.Data() + offset, digest, DigestLength(algorithm));
  return env.Undefined();
}

}  // namespace

void RegisterDigest(Napi::Env env, Napi::Object exports) {
  exports.Set("sha256", Napi::Function::New(env, Sha256Async, "sha256"));
  exports.Set("sha256Sync", Napi::Function::New(env, Sha256Sync, "sha256Sync"));
  exports.Set("hmacSha256", Napi::Function::New(env, HmacSha256, "hmacSha256"));
  exports.Set("sha256File", Napi::Function::New(env, Sha256File, "sha256File"));
  exports.Set("digestExtents", Napi::Function::New(env, DigestExtents, "digestExtents"));
  exports.Set("digestInto", Napi::Function::New(env, DigestInto, "digestInto"));
  exports.Set("digestAlgorithms", AlgorithmNames(env));
}

}  // namespace tandem
