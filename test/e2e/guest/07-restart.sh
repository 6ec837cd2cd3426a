# Scenario 7: the target is killed and restarted during verified writes; the initiator
# recovers the session itself and every block written verifies afterwards.
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
node_set "$T0_IQN" "$T0_PORTAL" node.session.timeo.replacement_timeout 60
node_set "$T0_IQN" "$T0_PORTAL" node.conn[0].timeo.noop_out_interval 2
node_set "$T0_IQN" "$T0_PORTAL" node.conn[0].timeo.noop_out_timeout 2
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result login_rc $?
disk=$(wait_disks "$T0_IQN" 1 | awk '{ print $2; exit }')
args="--filename=/dev/$disk --direct=1 --ioengine=libaio --iodepth=16 --bs=64k --size=48m \
  --rw=write --verify=crc32c --name=restart --output-format=json"
# Rate-limited so the writes are still running when the host kills the target.
start_verified_writes $args --rate=4m
sleep 3
phase 1   # host: SIGKILL the target, restart it on the same port
end_verified_writes $args
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
