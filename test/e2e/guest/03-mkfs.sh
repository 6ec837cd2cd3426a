# Scenario 3: ext4 made and filled in one session survives logout and a fresh login intact.
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result login_rc $?
disk=$(wait_disks "$T0_IQN" 1 | awk '{ print $2; exit }')
mkfs.ext4 -q -F "/dev/$disk" >/job/out/mkfs.txt 2>&1
result mkfs_rc $?
mount -t ext4 "/dev/$disk" /mnt
result mount_rc $?
mkdir -p /mnt/data
n=0
for kib in 1 4 37 512 2048 8192; do
  dd if=/dev/urandom of=/mnt/data/file-$n bs=1024 count=$kib 2>/dev/null
  n=$((n + 1))
done
(cd /mnt/data && sha256sum file-*) >/job/out/sums-before.txt
umount /mnt
result umount_rc $?
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result logout_rc $?
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result relogin_rc $?
disk=$(wait_disks "$T0_IQN" 1 | awk '{ print $2; exit }')
# Drop any cached pages so the reads below really cross the wire.
echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 "/dev/$disk" /mnt
result remount_rc $?
(cd /mnt/data && sha256sum file-*) >/job/out/sums-after.txt
umount /mnt
e2fsck -f -n "/dev/$disk" >/job/out/e2fsck.txt 2>&1
result e2fsck_rc $?
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
