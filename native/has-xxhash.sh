#!/bin/sh
# binding.gyp's probe: prints 1 when XXH3-128 can be compiled and linked from the system's
# libxxhash (Debian: libxxhash-dev, xxhash >= 0.8), else 0, so the addon builds either way.
# TANDEM_NO_XXHASH=1 forces 0: how the build without it is tested on a machine that has it.
[ "${TANDEM_NO_XXHASH:-0}" = 1 ] && { echo 0; exit 0; }
out=$(mktemp) || { echo 0; exit 0; }
if printf '#include <xxhash.h>\nint main(void) { return (int)(XXH3_128bits("", 0).low64 & 0); }\n' |
  ${CXX:-c++} -x c++ - -lxxhash -o "$out" >/dev/null 2>&1; then echo 1; else echo 0; fi
rm -f "$out"
