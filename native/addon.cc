// tandem_native: block I/O, space management, digests and CRC32C for the target.
#include <napi.h>

#include "exports.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tandem::RegisterFileIo(env, exports);
  tandem::RegisterBatchIo(env, exports);
  tandem::RegisterSpace(env, exports);
  tandem::RegisterDigest(env, exports);
  tandem::RegisterCrc32c(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tandem_native, Init)
