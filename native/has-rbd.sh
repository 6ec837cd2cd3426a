#!/bin/sh
# binding.gyp's probe: prints 1 when the Ceph RBD store can be compiled and linked against
# the system's librbd and librados (Debian: librbd-dev, librados-dev), else 0, so the addon
# builds either way. TANDEM_NO_RBD=1 forces 0: how the build without Ceph is tested on a
# machine that has it.
[ "${TANDEM_NO_RBD:-0}" = 1 ] && { echo 0; exit 0; }
out=$(mktemp) || { echo 0; exit 0; }
if printf '#include <rbd/librbd.h>\nint main(void) { int a, b, c; rbd_version(&a, &b, &c); rados_version(&a, &b, &c); return 0; }\n' |
  ${CXX:-c++} -x c++ - -lrbd -lrados -o "$out" >/dev/null 2>&1; then echo 1; else echo 0; fi
rm -f "$out"
