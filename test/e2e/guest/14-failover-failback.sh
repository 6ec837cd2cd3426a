# Scenario 14: failover and failback of ext4 over synchronous mirroring.
# T0 is node A (the primary at first), T1 node B (its backup); both serve the same volume
# under their own target names. The host drives the roles between the phases.
. /job/lib.sh
A_IQN=$T0_IQN A=$T0_PORTAL B_IQN=$T1_IQN B=$T1_PORTAL

# discover_node N IQN PORTAL: SendTargets on the node's portal, then its node record.
discover_node() {
  iscsiadm -m discovery -t sendtargets -p "$3" >/job/out/discovery-$1.txt 2>&1
  result ${1}_discovery_rc $?
  result ${1}_discovered "$(awk '{ print $2 }' /job/out/discovery-$1.txt | tr '\n' ' ')"
  node_new "$2" "$3"
  # A dead node fails I/O after 5 s of recovery instead of the default 20.
  node_set "$2" "$3" node.session.timeo.replacement_timeout 5
  node_set "$2" "$3" node.conn[0].timeo.noop_out_interval 2
  node_set "$2" "$3" node.conn[0].timeo.noop_out_timeout 2
}

# attach N IQN PORTAL: log in, wait for the disk, report what the guest sees of it.
attach() {
  login "$2" "$3" >/job/out/login-$1.txt 2>&1
  result ${1}_login_rc $?
  disk=$(wait_disks "$2" 1 | awk '{ print $2; exit }')
  result ${1}_disk "$disk"
  [ -n "$disk" ] || return 1
  # The same volume must look like the same disk on either node (VPD 83h designator, serial).
  result ${1}_wwid "$(cat /sys/block/$disk/device/wwid 2>/dev/null)"
  result ${1}_serial "$(sg_vpd -p sn "/dev/$disk" 2>/dev/null | awk -F': *' '/Unit serial number:/ { print $2 }')"
  result ${1}_sessions "$(iscsiadm -m session 2>/dev/null | awk '{ print $4 }' | tr '\n' ' ')"
}

# detach N IQN PORTAL
detach() {
  logout "$2" "$3" >/job/out/logout-$1.txt 2>&1
  result ${1}_logout_rc $?
}

# write_set NAME KIB...: random files under /mnt/NAME, synced; their sums in /job/out/sums-NAME.txt.
write_set() {
  name=$1
  shift
  mkdir -p "/mnt/$name" || return 1
  n=0
  for kib in "$@"; do
    dd if=/dev/urandom of="/mnt/$name/file-$n" bs=1024 count="$kib" 2>/dev/null || return 1
    n=$((n + 1))
  done
  sync || return 1
  (cd "/mnt/$name" && sha256sum file-*) >"/job/out/sums-$name.txt"
}

# check_set NAME WHERE: the sums now, in /job/out/sums-NAME-WHERE.txt, compared with those written.
check_set() {
  (cd "/mnt/$1" && sha256sum file-*) >"/job/out/sums-$1-$2.txt" 2>&1
  cmp -s "/job/out/sums-$1.txt" "/job/out/sums-$1-$2.txt"
  result ${1}_on_${2}_match $?
}

discover_node a "$A_IQN" "$A"
phase 1 || exit 1 # host: wait until A mirrors synchronously (B's first sync done)

# --- on A, the primary: ext4, files, sync ------------------------------------------------
attach a "$A_IQN" "$A" || exit 1
mkfs.ext4 -q -F "/dev/$disk" >/job/out/mkfs.txt 2>&1
result mkfs_rc $?
mount -t ext4 -o noatime "/dev/$disk" /mnt
result a_mount_rc $?
write_set one 1 37 512 2048 4096
result write_one_rc $?
sync
result sync_rc $?
# Every write and the sync are acknowledged; the file system stays mounted, as in a crash.
phase 2 || exit 1 # host: SIGKILL A, promote B (--force)

# --- the session to A is dead: drop its mount and its session ------------------------------
umount /mnt >/job/out/umount-dead.txt 2>&1 || umount -l /mnt >>/job/out/umount-dead.txt 2>&1
result dead_umount_rc $?
detach dead_a "$A_IQN" "$A"
result sessions_after_a "$(iscsiadm -m session 2>/dev/null | wc -l)"

# --- on B, promoted: the files are intact; more files ----------------------------------------
discover_node b "$B_IQN" "$B"
attach b "$B_IQN" "$B" || exit 1
echo 3 >/proc/sys/vm/drop_caches
# The mount replays the ext4 journal the crash left: every acknowledged write must be here.
mount -t ext4 -o noatime "/dev/$disk" /mnt
result b_mount_rc $?
check_set one b
write_set two 3 100 1024 3072
result write_two_rc $?
umount /mnt
result b_umount_rc $?
e2fsck -f -n "/dev/$disk" >/job/out/e2fsck-b.txt 2>&1
result b_e2fsck_rc $?
detach b "$B_IQN" "$B"
result sessions_after_b "$(iscsiadm -m session 2>/dev/null | wc -l)"
phase 3 || exit 1 # host: restart A (stale), demote it, resync, switchover B -> A

# --- failback: on A again, primary, every file is there ----------------------------------------
attach a2 "$A_IQN" "$A" || exit 1
echo 3 >/proc/sys/vm/drop_caches
e2fsck -f -n "/dev/$disk" >/job/out/e2fsck-a2.txt 2>&1
result a2_e2fsck_rc $?
mount -t ext4 -o noatime "/dev/$disk" /mnt
result a2_mount_rc $?
check_set one a2
check_set two a2
# A mirrors again: one more set, which the host finds on B's image too.
write_set three 7 256 2048
result write_three_rc $?
umount /mnt
result a2_umount_rc $?
detach a2 "$A_IQN" "$A"
save_dmesg
