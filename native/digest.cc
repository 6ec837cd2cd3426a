// Extent digests for replica verification (SHA-256, or XXH3-128 where built: hasher.h)
// over file ranges (extent_digest.h) and in-memory buffers, and SHA-256/HMAC-SHA-256 through the OpenSSL
// node itself exports, for CHAP.
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include <vector>

#include "args.h"
#include "async_call.h"
#include "exports.h"
#include "extent_digest.h"
#include "hasher.h"

namespace tandem {
namespace {

constexpr size_t kSha256Length = 32;

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
  StartExtentsDigest(env, callback, FileExtentSource(fd), {offset, length}, DigestAlgorithm::kSha256);
  return env.Undefined();
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
  StartExtentsDigest(env, callback, FileExtentSource(fd), std::move(extents), algorithm);
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
