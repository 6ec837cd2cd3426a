#!/usr/bin/env bash
# Host packages the end-to-end suite needs (CI calls this from .ci/run). The guest image is
# assembled from these installed packages plus Debian's stock kernel package, which
# test/e2e/image/build-image.sh downloads with apt-get; hence the package lists must exist.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS="qemu-system-x86 busybox-static cpio open-iscsi sg3-utils e2fsprogs fio kmod util-linux tgt multipath-tools udev dmsetup"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
updated=0
if [ -n "$missing" ]; then
  apt-get update -qq && updated=1
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# The guest kernel is whatever linux-image-amd64 points at; resolving it needs apt's lists.
if [ "$updated" = 0 ] && ! apt-cache depends linux-image-amd64 2>/dev/null | grep -q 'Depends: linux-image-'; then
  apt-get update -qq
fi
