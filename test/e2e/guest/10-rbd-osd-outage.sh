# Scenario 10: the LUN is a Ceph RBD image with op-timeout=14; the cluster's one OSD is killed
# during verified fio writes and started again OUTAGE_S seconds later. The session stays up
# (NOP-Outs keep being answered), the writes the outage holds fail at the target as NOT READY
# (becoming ready), which the host's SCSI layer retries, and every block written verifies.
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
# A target that stopped answering would lose the session within 10 s of the outage.
node_set "$T0_IQN" "$T0_PORTAL" node.conn[0].timeo.noop_out_interval 5
node_set "$T0_IQN" "$T0_PORTAL" node.conn[0].timeo.noop_out_timeout 5
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result login_rc $?
disk=$(wait_disks "$T0_IQN" 1 | awk '{ print $2; exit }')
result command_timeout "$(cat "/sys/block/$disk/device/timeout")"
args="--filename=/dev/$disk --direct=1 --ioengine=libaio --iodepth=8 --bs=64k --size=24m \
  --rw=write --verify=crc32c --name=outage --output-format=json"
# Rate-limited so writes are still being issued through the whole outage.
start_verified_writes $args --rate=2m
sleep 3
phase 1   # host: SIGKILL the OSD, wait OUTAGE_S, start it again
end_verified_writes $args
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result logout_rc $?
