// CRC32C (Castagnoli) for iSCSI header and data digests. SSE4.2's crc32
// instruction where the CPU has it (checked once at load), else slicing-by-8.
#include <string.h>

#include <cstddef>
#include <cstdint>

#include "args.h"
#include "exports.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tandem {
namespace {

constexpr uint32_t kReflectedPolynomial = 0x82F63B78;

struct Tables {
  uint32_t t[8][256];
  Tables() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t crc = i;
      for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (kReflectedPolynomial & (0u - (crc & 1)));
      t[0][i] = crc;
    }
    for (uint32_t i = 0; i < 256; i++) {
      for (int k = 1; k < 8; k++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    }
  }
};

const Tables& SoftwareTables() {
  static const Tables tables;
  return tables;
}

// `crc` is the running (pre-inverted) register in both implementations.
uint32_t UpdateSoftware(uint32_t crc, const uint8_t* data, size_t length) {
  const Tables& tb = SoftwareTables();
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, data, 8);  // little-endian load
    uint32_t low = static_cast<uint32_t>(word) ^ crc;
    uint32_t high = static_cast<uint32_t>(word >> 32);
    crc = tb.t[7][low & 0xff] ^ tb.t[6][(low >> 8) & 0xff] ^ tb.t[5][(low >> 16) & 0xff] ^ tb.t[4][low >> 24] ^
          tb.t[3][high & 0xff] ^ tb.t[2][(high >> 8) & 0xff] ^ tb.t[1][(high >> 16) & 0xff] ^ tb.t[0][high >> 24];
    data += 8;
    length -= 8;
  }
  while (length-- > 0) crc = (crc >> 8) ^ tb.t[0][(crc ^ *data++) & 0xff];
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t UpdateHardware(uint32_t crc, const uint8_t* data, size_t length) {
  uint64_t crc64 = crc;
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, data, 8);
    crc64 = _mm_crc32_u64(crc64, word);
    data += 8;
    length -= 8;
  }
  uint32_t crc32 = static_cast<uint32_t>(crc64);
  while (length-- > 0) crc32 = _mm_crc32_u8(crc32, *data++);
  return crc32;
}

bool CpuHasSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

using UpdateFunction = uint32_t (*)(uint32_t, const uint8_t*, size_t);

UpdateFunction ChooseUpdate() {
#if defined(__x86_64__)
  if (CpuHasSse42()) return UpdateHardware;
#endif
  return UpdateSoftware;
}

const UpdateFunction update = ChooseUpdate();

// crc32c(bytes, initial = 0): `initial` is the CRC of preceding bytes, so
// crc32c(b, crc32c(a)) === crc32c(a ++ b).
Napi::Value Crc32c(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowType(env, "crc32c expects a Buffer or Uint8Array");
    return env.Undefined();
  }
  uint32_t initial = 0;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber()) {
      ThrowType(env, "initial must be a number");
      return env.Undefined();
    }
    initial = info[1].As<Napi::Number>().Uint32Value();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  uint32_t crc = ~update(~initial, bytes.Data(), bytes.ByteLength());
  return Napi::Number::New(env, crc);
}

Napi::Value Crc32cImplementation(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), update == UpdateSoftware ? "table" : "sse4.2");
}

}  // namespace

void RegisterCrc32c(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New(env, Crc32c, "crc32c"));
  exports.Set("crc32cImplementation", Napi::Function::New(env, Crc32cImplementation, "crc32cImplementation"));
  // Exposed so tests can check the fallback against the hardware path on this CPU.
  exports.Set("crc32cSoftware", Napi::Function::New(
                                    env,
                                    [](const Napi::CallbackInfo& info) -> Napi::Value {
                                      Napi::Env env = info.Env();
                                      if (!info[0].IsTypedArray()) {
                                        ThrowType(env, "crc32cSoftware expects a Uint8Array");
                                        return env.Undefined();
                                      }
                                      Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
                                      uint32_t initial = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
                                      return Napi::Number::New(env, ~UpdateSoftware(~initial, bytes.Data(), bytes.ByteLength()));
                                    },
                                    "crc32cSoftware"));
}

}  // namespace tandem
