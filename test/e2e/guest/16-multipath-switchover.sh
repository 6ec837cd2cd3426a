# Scenario 16: fio --verify on the multipath device of a replicated pair while the host runs
# `tandem switchover` (A -> B) and back (B -> A): dm-multipath follows the ALUA states, no
# I/O error reaches fio and every block verifies, under a Write Exclusive Registrants Only
# reservation whose key the host registered through each path for all target ports
# (ALL_TG_PT). T0 is node A (primary), T1 node B.
. /job/lib.sh
A_IQN=$T0_IQN A=$T0_PORTAL B_IQN=$T1_IQN B=$T1_PORTAL

phase 1 || exit 1 # host: A mirrors, B holds A's identity
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
[ -n "$map" ] || exit 1
mpath_wait_active "$disk_a" 30
result a_active_rc $?
alua_snapshot before "$disk_a" "$disk_b"

# A Write Exclusive Registrants Only reservation, as a cluster node makes one: its key
# registered through each path with ALL_TG_PT (as mpathpersist --param-alltgpt does; open-iscsi
# gives each session its own ISID, so each path is an initiator port of its own), reserved
# through A. Every write through either node must pass it, before and after each switchover.
sg_persist --out --register-ignore --param-sark=0x7a6e --param-alltgpt "/dev/$disk_a" >/job/out/pr-register-a.txt 2>&1
result pr_register_a_rc $?
sg_persist --out --register-ignore --param-sark=0x7a6e --param-alltgpt "/dev/$disk_b" >/job/out/pr-register-b.txt 2>&1
result pr_register_b_rc $?
sg_persist --out --reserve --param-rk=0x7a6e --prout-type=5 "/dev/$disk_a" >/job/out/pr-reserve.txt 2>&1
result pr_reserve_rc $?
sg_persist --in --read-full-status "/dev/$disk_b" >/job/out/pr-full-status.txt 2>&1
result pr_status_rc $?

# Random 64 KiB writes over 48 MiB at 2 MiB/s (about 24 s, long enough for both switchovers),
# then every block read back and verified (crc32c) through whichever node is primary then.
fio --name=switchover --filename="/dev/mapper/$map" --direct=1 --ioengine=libaio --iodepth=4 \
  --rw=randwrite --bs=64k --size=48m --rate=2m --verify=crc32c --do_verify=1 --verify_fatal=1 \
  --output-format=json --output=/job/out/fio.json >/job/out/fio.txt 2>&1 &
fio_pid=$!
sleep 4

phase 2 || exit 1 # host: tandem switchover on A (B becomes the primary)
mpath_wait_active "$disk_b" 40
result b_active_rc $?
alua_snapshot after-switchover "$disk_a" "$disk_b"

phase 3 || exit 1 # host: tandem switchover on B (back to A)
mpath_wait_active "$disk_a" 40
result a_active_again_rc $?
alua_snapshot after-switchback "$disk_a" "$disk_b"

wait $fio_pid
result fio_rc $?
multipathd show paths raw format "%d %t %T %p" >/job/out/paths-end.txt 2>&1
save_dmesg
