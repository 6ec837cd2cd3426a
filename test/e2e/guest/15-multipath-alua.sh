# Scenario 15: one LU of a replicated pair through both nodes: dm-multipath makes one map of
# the two paths, in two path groups by ALUA priority (the primary's active/optimized, the
# backup's standby). T0 is node A (primary), T1 node B (backup).
. /job/lib.sh
A_IQN=$T0_IQN A=$T0_PORTAL B_IQN=$T1_IQN B=$T1_PORTAL

phase 1 || exit 1 # host: A mirrors, B holds A's identity (one WWID on both nodes)
multipath_start
result mp_start_rc $?
mpath_node a "$A_IQN" "$A"
mpath_node b "$B_IQN" "$B"
mpath_attach a "$A_IQN" "$A" || exit 1
disk_a=$disk
mpath_attach b "$B_IQN" "$B" || exit 1
disk_b=$disk
map=$(mpath_map 2)
result map "$map"
[ -n "$map" ] || { multipath -ll >/job/out/multipath-ll.txt 2>&1; exit 1; }
mpath_wait_active "$disk_a" 30
result a_active_rc $?
# Reads through the map go to A (its group becomes the active one); a direct read through
# B's standby path is refused.
dd if="/dev/mapper/$map" of=/dev/null bs=64k count=16 iflag=direct 2>/job/out/dd-map.txt
result map_read_rc $?
sg_raw -r 512 "/dev/$disk_b" 28 00 00 00 00 00 00 00 01 00 >/job/out/raw-read-b.txt 2>&1
result b_raw_read_rc $?

multipath -ll "$map" >/job/out/multipath-ll.txt 2>&1
result map_ro "$(blockdev --getro "/dev/mapper/$map")"
multipathd show paths raw format "%d %t %T %p" >/job/out/paths.txt 2>&1
for n in a b; do
  eval d=\$disk_$n
  sg_inq "/dev/$d" >"/job/out/inq-$n.txt" 2>&1
  result ${n}_inq_rc $?
  sg_rtpg -d "/dev/$d" >"/job/out/rtpg-$n.txt" 2>&1
  result ${n}_rtpg_rc $?
  sg_rtpg -e -d "/dev/$d" >"/job/out/rtpg-extended-$n.txt" 2>&1
  result ${n}_rtpg_extended_rc $?
  sg_vpd -p di "/dev/$d" >"/job/out/vpd83-$n.txt" 2>&1
  result ${n}_wwid "$(cat /sys/block/$d/device/wwid 2>/dev/null)"
  result ${n}_alua_state "$(cat /sys/block/$d/device/access_state 2>/dev/null)"
  result ${n}_dh "$(cat /sys/block/$d/device/dh_state 2>/dev/null)"
done
save_dmesg
