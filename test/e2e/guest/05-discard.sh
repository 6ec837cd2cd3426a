# Scenario 5: fstrim on ext4 over a thin LUN gives space back in the host's sparse file.
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result login_rc $?
disk=$(wait_disks "$T0_IQN" 1 | awk '{ print $2; exit }')
sg_vpd -p 0xb2 "/dev/$disk" >/job/out/vpd-b2.txt 2>&1
result discard_max_bytes "$(cat /sys/block/$disk/queue/discard_max_bytes)"
# nodiscard: mkfs must not trim the device itself; the host measures fstrim alone.
mkfs.ext4 -q -F -E nodiscard "/dev/$disk" >/job/out/mkfs.txt 2>&1
result mkfs_rc $?
mount -t ext4 "/dev/$disk" /mnt
dd if=/dev/urandom of=/mnt/fill bs=1M count=48 conv=fsync 2>/dev/null
result fill_rc $?
sync
phase 1   # host measures allocated size with the file present
rm /mnt/fill
sync
fstrim -v /mnt >/job/out/fstrim.txt 2>&1
result fstrim_rc $?
sync
phase 2   # host measures again
umount /mnt
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
