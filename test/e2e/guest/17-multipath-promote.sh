# Scenario 17: unplanned failover under fio --verify on the multipath device: the host
# SIGKILLs the primary (A) and runs `tandem promote --force` on B; the map queues I/O
# meanwhile (no_path_retry queue) and resumes on B, without remount; every block fio wrote
# and had acknowledged verifies. Synchronous mirroring, so every acknowledged write is on B.
. /job/lib.sh
A_IQN=$T0_IQN A=$T0_PORTAL B_IQN=$T1_IQN B=$T1_PORTAL

phase 1 || exit 1 # host: A mirrors synchronously, B holds A's identity
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

fio --name=promote --filename="/dev/mapper/$map" --direct=1 --ioengine=libaio --iodepth=4 \
  --rw=randwrite --bs=64k --size=32m --rate=2m --verify=crc32c --do_verify=1 --verify_fatal=1 \
  --output-format=json --output=/job/out/fio.json >/job/out/fio.txt 2>&1 &
fio_pid=$!
sleep 5

phase 2 || exit 1 # host: SIGKILL A, tandem promote --force on B
mpath_wait_active "$disk_b" 60
result b_active_rc $?
alua_snapshot after-promote "$disk_b"

wait $fio_pid
result fio_rc $?
multipathd show paths raw format "%d %t %T %p" >/job/out/paths-end.txt 2>&1
save_dmesg
