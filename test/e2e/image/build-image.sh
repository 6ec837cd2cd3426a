#!/usr/bin/env bash
# Builds the guest for the end-to-end tests: Debian's stock kernel plus a busybox initramfs
# holding the open-iscsi initiator, sg3_utils, e2fsprogs, fio and dm-multipath (multipath-tools,
# udevd, dmsetup, scsi_id), all taken from this host's installed Debian packages
# (test/e2e/install-deps.sh installs them).
#
#   build-image.sh OUT_DIR KERNEL_PACKAGE
#
# Writes OUT_DIR/vmlinuz and OUT_DIR/initrd.cpio (uncompressed: unpacking is faster than
# decompressing under TCG emulation). The caller (image.ts) caches OUT_DIR by input hash.
set -euo pipefail

out=$1
kpkg=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- kernel -----------------------------------------------------------------------------
(cd "$work" && apt-get download "$kpkg" >/dev/null 2>&1) || {
  echo "apt-get download $kpkg failed (run apt-get update?)" >&2
  exit 1
}
dpkg-deb -x "$work"/"$kpkg"_*.deb "$work/kernel"
kver=$(ls "$work/kernel/lib/modules")
kmods="$work/kernel/lib/modules/$kver"
depmod -b "$work/kernel" "$kver"

# --- initramfs tree ---------------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/iscsi/ifaces,proc,sys,dev,tmp,run/lock/iscsi,var/lib/iscsi,var/lock,job,mnt,lib/modules/"$kver"}
cp /usr/bin/busybox "$root/bin/busybox"
for applet in $(/usr/bin/busybox --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# Modules the guest needs, with everything modules.dep says they depend on. The crypto
# implementations are soft dependencies the kernel requests at run time.
# dm-multipath with the ALUA handler and every path selector: the guest has no module loader
# multipath-tools could ask, so init loads them all (multipath-tools 0.9.4 defaults to service-time).
wanted="iscsi_tcp sd_mod sg ext4 virtio_pci virtio_net 9p 9pnet_virtio crc32c_generic crc32c-intel libcrc32c crct10dif_generic crct10dif-pclmul crc64_rocksoft_generic scsi_dh_alua dm-mod dm-multipath dm-round-robin dm-service-time dm-queue-length"
declare -A seen=()
add_module() {
  local rel
  rel=$(grep -E "/$1\.ko:" "$kmods/modules.dep" | head -1 | cut -d: -f1) || true
  [ -n "$rel" ] || { echo "module $1 not found in $kpkg" >&2; exit 1; }
  [ -n "${seen[$rel]:-}" ] && return 0
  seen[$rel]=1
  mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
  cp "$kmods/$rel" "$root/lib/modules/$kver/$rel"
  local dep
  for dep in $(grep -E "^$rel:" "$kmods/modules.dep" | cut -d: -f2); do
    add_module "$(basename "$dep" .ko)"
  done
}
for m in $wanted; do add_module "$m"; done
cp "$kmods/modules.builtin" "$kmods/modules.builtin.modinfo" "$kmods/modules.order" "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"
echo "$kver" >"$root/etc/kernel-version"
echo "$wanted" >"$root/etc/kernel-modules"

# Userspace tools and their shared libraries (resolved on this host with ldd).
tools=""
for t in iscsid iscsiadm fio mke2fs e2fsck fstrim sg_inq sg_vpd sg_readcap sg_luns sg_persist sg_raw sg_unmap sg_turs sg_get_lba_status sg_rtpg multipath multipathd udevadm dmsetup; do
  p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$t") || { echo "missing host tool $t (run test/e2e/install-deps.sh)" >&2; exit 1; }
  tools="$tools $p"
done
copy_with_libs() {
  local f=$1 lib
  mkdir -p "$root$(dirname "$f")"
  cp -L "$f" "$root$f"
  for lib in $(ldd "$f" | awk '/=>/ { print $3 } /^\s*\/lib/ { print $1 }'); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
for t in $tools; do copy_with_libs "$t"; done
# dm-multipath: the checker and prioritizer plugins, udevd (in systemd 252 a link to udevadm)
# and the udev rules that run multipath -u, scsi_id and dmsetup udevcomplete on new disks.
for f in /lib/multipath/*.so /lib/udev/scsi_id; do copy_with_libs "$f"; done
ln -sf /usr/bin/udevadm "$root/sbin/udevd"
mkdir -p "$root/lib/udev/rules.d" "$root/etc/udev" "$root/etc/multipath" "$root/run/udev"
for r in 50-udev-default 55-dm 56-dm-mpath 60-block 60-persistent-storage 60-persistent-storage-dm 60-multipath 95-dm-notify; do
  cp "/lib/udev/rules.d/$r.rules" "$root/lib/udev/rules.d/"
done
cp "$here/multipath.conf" "$root/etc/multipath.conf"
mkdir -p "$root/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
ln -sf mke2fs "$root/usr/sbin/mkfs.ext4"

# iscsid refuses iscsiadm's IPC unless root is a known user and group.
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'InitiatorName=iqn.2026-11.io.tandem.e2e:guest' >"$root/etc/iscsi/initiatorname.iscsi"
cp "$here/iscsid.conf" "$root/etc/iscsi/iscsid.conf"
cp "$here/init.sh" "$root/init"
chmod +x "$root/init"

mkdir -p "$out"
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initrd.cpio.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.cpio.tmp" "$out/initrd.cpio"
echo "built $out (kernel $kver, initramfs $(du -h "$out/initrd.cpio" | cut -f1))"
