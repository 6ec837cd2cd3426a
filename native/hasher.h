// The extent digests a challenge can use (docs/vendor-commands.md §1): SHA-256 always,
// XXH3-128 when the addon was built against libxxhash-dev (binding.gyp probes for it).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

struct evp_md_ctx_st;

namespace tandem {

enum class DigestAlgorithm { kSha256, kXxh3 };

constexpr size_t kMaxDigestLength = 32;

size_t DigestLength(DigestAlgorithm algorithm);

// Reads info[index] as an algorithm name ('sha256', 'xxh3'); throws and returns false for
// a non-string, an unknown name, or one this build lacks.
bool GetAlgorithm(const Napi::CallbackInfo& info, size_t index, DigestAlgorithm* out);

// The names this build hashes with, for the addon's `digestAlgorithms`.
Napi::Array AlgorithmNames(Napi::Env env);

// One streaming hash at a time, reusable: Begin, Update..., Finish writes DigestLength()
// bytes (XXH3-128 in its canonical big-endian form, as `xxhsum -H2` prints it).
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  bool Begin();
  bool Update(const uint8_t* data, size_t length);
  bool Finish(uint8_t* out);

 private:
  DigestAlgorithm algorithm_;
  evp_md_ctx_st* sha_ = nullptr;
  void* xxh_ = nullptr;  // XXH3_state_t*, opaque here so only hasher.cc includes xxhash.h
};

}  // namespace tandem
