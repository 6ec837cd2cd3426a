# Scenario 8: while the guest runs verified I/O, the host hurls malformed input at the
# target port from other connections; the guest's I/O must not notice.
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result login_rc $?
disk=$(wait_disks "$T0_IQN" 1 | awk '{ print $2; exit }')
fio --filename="/dev/$disk" --direct=1 --ioengine=libaio --iodepth=16 --bs=16k --size=32m \
  --rw=randwrite --verify=crc32c --do_verify=1 --verify_fatal=1 --rate=4m --name=steady \
  --output-format=json --output=/job/out/fio.json >/job/out/fio.txt 2>&1 &
pid=$!
sleep 2
phase 1   # host: malformed connections
wait $pid
result fio_rc $?
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result logout_rc $?
