// SHA-256 through the OpenSSL node itself exports (no extra link); XXH3-128 from the
// system's libxxhash, compiled in only when binding.gyp found it (TANDEM_HAVE_XXHASH).
#include "hasher.h"

#include <openssl/evp.h>

#include <cstring>
#include <string>

#include "args.h"

#ifdef TANDEM_HAVE_XXHASH
#include <xxhash.h>
#endif

namespace tandem {

size_t DigestLength(DigestAlgorithm algorithm) { return algorithm == DigestAlgorithm::kSha256 ? 32 : 16; }

bool GetAlgorithm(const Napi::CallbackInfo& info, size_t index, DigestAlgorithm* out) {
  Napi::Env env = info.Env();
  if (!info[index].IsString()) return ThrowType(env, "algorithm must be a string");
  std::string name = info[index].As<Napi::String>().Utf8Value();
  if (name == "sha256") {
    *out = DigestAlgorithm::kSha256;
    return true;
  }
#ifdef TANDEM_HAVE_XXHASH
  if (name == "xxh3") {
    *out = DigestAlgorithm::kXxh3;
    return true;
  }
#endif
  return ThrowRange(env, "unsupported digest algorithm (this build hashes with the ones in digestAlgorithms)");
}

Napi::Array AlgorithmNames(Napi::Env env) {
  Napi::Array names = Napi::Array::New(env);
  names.Set(0u, "sha256");
#ifdef TANDEM_HAVE_XXHASH
  names.Set(1u, "xxh3");
#endif
  return names;
}

Hasher::Hasher(DigestAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm == DigestAlgorithm::kSha256) sha_ = EVP_MD_CTX_new();
#ifdef TANDEM_HAVE_XXHASH
  if (algorithm == DigestAlgorithm::kXxh3) xxh_ = XXH3_createState();
#endif
}

Hasher::~Hasher() {
  EVP_MD_CTX_free(sha_);
#ifdef TANDEM_HAVE_XXHASH
  XXH3_freeState(static_cast<XXH3_state_t*>(xxh_));
#endif
}

bool Hasher::Begin() {
  if (algorithm_ == DigestAlgorithm::kSha256) return sha_ != nullptr && EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) == 1;
#ifdef TANDEM_HAVE_XXHASH
  return xxh_ != nullptr && XXH3_128bits_reset(static_cast<XXH3_state_t*>(xxh_)) == XXH_OK;
#else
  return false;
#endif
}

bool Hasher::Update(const uint8_t* data, size_t length) {
  if (algorithm_ == DigestAlgorithm::kSha256) return EVP_DigestUpdate(sha_, data, length) == 1;
#ifdef TANDEM_HAVE_XXHASH
  return XXH3_128bits_update(static_cast<XXH3_state_t*>(xxh_), data, length) == XXH_OK;
#else
  return false;
#endif
}

bool Hasher::Finish(uint8_t* out) {
  if (algorithm_ == DigestAlgorithm::kSha256) return EVP_DigestFinal_ex(sha_, out, nullptr) == 1;
#ifdef TANDEM_HAVE_XXHASH
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(static_cast<XXH3_state_t*>(xxh_)));
  memcpy(out, canonical.digest, sizeof canonical.digest);
  return true;
#else
  return false;
#endif
}

}  // namespace tandem
