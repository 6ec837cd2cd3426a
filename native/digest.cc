// SHA-256 and HMAC-SHA-256 through the OpenSSL that node itself exports (no extra
// link), for CHAP and for replica verification over large file ranges.
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include <vector>

#include "args.h"
#include "async_call.h"
#include "exports.h"
#include "io_loops.h"

namespace tandem {
namespace {

constexpr size_t kDigestLength = 32;
// File ranges are hashed through one bounded chunk per worker, whatever their length.
constexpr size_t kChunkLength = 1 << 20;
constexpr size_t kChunkAlignment = 4096;  // lets O_DIRECT descriptors read straight in

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {}
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  bool Begin() { return ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1; }
  bool Update(const uint8_t* data, size_t length) { return EVP_DigestUpdate(ctx_, data, length) == 1; }
  bool Finish(uint8_t* out) { return EVP_DigestFinal_ex(ctx_, out, nullptr) == 1; }

 private:
  EVP_MD_CTX* ctx_;
};

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
int HashRange(int fd, uint64_t offset, uint64_t length, Sha256& hasher, const ChunkBuffer& chunk, uint8_t* out) {
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
  Napi::Value Result(Napi::Env env) override { return Napi::Buffer<uint8_t>::Copy(env, digest_, kDigestLength); }

  const uint8_t* data_;
  size_t length_;
  Napi::ObjectReference buffer_ref_;
  uint8_t digest_[kDigestLength];
};

// One worker hashes every extent of a batch: [offset0, length0, offset1, length1, ...].
class ExtentsDigestCall : public AsyncCall {
 public:
  ExtentsDigestCall(Napi::Function callback, int fd, std::vector<uint64_t> extents)
      : AsyncCall(callback, "pread"), fd_(fd), extents_(std::move(extents)), digests_(extents_.size() / 2 * kDigestLength) {}

 private:
  void Execute() override {
    ChunkBuffer chunk;
    Sha256 hasher;
    if (chunk.data() == nullptr) return Fail(ENOMEM, "posix_memalign");
    for (size_t i = 0; i * 2 < extents_.size(); i++) {
      int err = HashRange(fd_, extents_[2 * i], extents_[2 * i + 1], hasher, chunk, &digests_[i * kDigestLength]);
      if (err != 0) return Fail(err, "pread");
    }
  }
  Napi::Value Result(Napi::Env env) override {
    return Napi::Buffer<uint8_t>::Copy(env, digests_.data(), digests_.size());
  }

  int fd_;
  std::vector<uint64_t> extents_;
  std::vector<uint8_t> digests_;
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
  uint8_t digest[kDigestLength];
  if (EVP_Digest(buffer.Data(), buffer.Length(), digest, nullptr, EVP_sha256(), nullptr) != 1) {
    ThrowErrno(env, EIO, "sha256");
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, digest, kDigestLength);
}

Napi::Value HmacSha256(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> key, data;
  if (!GetBuffer(info, 0, &key) || !GetBuffer(info, 1, &data)) return env.Undefined();
  uint8_t digest[kDigestLength];
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
  (new ExtentsDigestCall(callback, fd, {offset, length}))->Queue();
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
  if (!GetFd(info, 0, &fd) || !ReadExtents(env, info[1], &extents) || !GetCallback(info, 2, &callback)) {
    return env.Undefined();
  }
  (new ExtentsDigestCall(callback, fd, std::move(extents)))->Queue();
  return env.Undefined();
}

}  // namespace

void RegisterDigest(Napi::Env env, Napi::Object exports) {
  exports.Set("sha256", Napi::Function::New(env, Sha256Async, "sha256"));
  exports.Set("sha256Sync", Napi::Function::New(env, Sha256Sync, "sha256Sync"));
  exports.Set("hmacSha256", Napi::Function::New(env, HmacSha256, "hmacSha256"));
  exports.Set("sha256File", Napi::Function::New(env, Sha256File, "sha256File"));
  exports.Set("digestExtents", Napi::Function::New(env, DigestExtents, "digestExtents"));
}

}  // namespace tandem
