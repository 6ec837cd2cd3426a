// tandem_native: block I/O (files; Ceph RBD images where built), space management, digests
// and CRC32C for the target.
#include <napi.h>

#include "exports.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tandem::RegisterFileIo(env, exports);
  tandem::RegisterBatchIo(env, exports);
  tandem::RegisterSpace(env, exports);
  tandem::RegisterDigest(env, exports);
  tandem::RegisterCrc32c(env, exports);
#ifdef TANDEM_HAVE_RBD
  tandem::RegisterRbd(env, exports);
#else
  // Built without librbd-dev/librados-dev: the RBD store says so when a LUN asks for it.
  exports.Set("rbdAvailable", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(tandem_native, Init)
