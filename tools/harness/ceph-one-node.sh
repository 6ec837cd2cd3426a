#!/bin/sh
# A throw-away one-node Ceph cluster (one mon, one BlueStore OSD on a sparse file, an "rbd"
# pool of size 1) for the RBD tests and benchmark, from Debian's ceph-mon, ceph-osd and
# ceph-common. No systemd, no mgr (RBD needs none), nothing outside DIR; daemons bound to
# 127.0.0.1.
#
#   ceph-one-node.sh start DIR [PORT]   the mon listens on PORT (default 36789), the OSD on
#                                       PORT+1..PORT+20; prints DIR/ceph.conf when an image
#                                       can be created in pool "rbd"
#   ceph-one-node.sh stop DIR           stops the daemons (OSD first) and removes DIR
#   ceph-one-node.sh osd-kill DIR       SIGKILLs the OSD (a crash: no "mark me down"), waits
#                                       until it is gone; prints its pid
#   ceph-one-node.sh osd-start DIR      starts the OSD again (same data, same config) and
#                                       waits until the mon has it up
#
# DIR must not be on tmpfs: BlueStore opens its block file with O_DIRECT. Clients use
# `-c DIR/ceph.conf` (client.admin's keyring is named there).
set -eu

usage() { echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
port=${3:-36789}

pid_of() { cat "$dir/run/$1.pid" 2>/dev/null || true; }

# Waits up to $2 tenths of a second for process $1 to exit.
wait_gone() {
  n=0
  while kill -0 "$1" 2>/dev/null; do
    n=$((n + 1))
    [ "$n" -le "$2" ] || return 1
    sleep 0.1
  done
}

stop_daemon() {
  pid=$(pid_of "$1")
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  wait_gone "$pid" 100 || { kill -9 "$pid" 2>/dev/null || true; wait_gone "$pid" 50 || true; }
}

if [ "$cmd" = osd-kill ]; then
  pid=$(pid_of osd.0)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { echo "$0: no OSD running in $dir" >&2; exit 1; }
  kill -9 "$pid"
  wait_gone "$pid" 100 || { echo "$0: OSD $pid still there 10 s after SIGKILL" >&2; exit 1; }
  echo "$pid"
  exit 0
fi

if [ "$cmd" = osd-start ]; then
  conf=$dir/ceph.conf
  pid=$(pid_of osd.0)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$0: OSD $pid is still running" >&2; exit 1; fi
  # A killed OSD is still up in the map (no peer reported it): it is back once the mon has
  # taken its boot message, when its line (up_from, address nonce) changes; clients then resend.
  before=$(ceph -c "$conf" osd dump 2>/dev/null | grep '^osd\.0 ' || true)
  ceph-osd -c "$conf" -i 0 >>"$dir/log/setup.log" 2>&1
  deadline=$(($(date +%s) + 60))
  until now=$(ceph -c "$conf" osd dump 2>/dev/null | grep '^osd\.0 up') && [ "$now" != "$before" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "$0: osd.0 not up 60 s after its restart (see $dir/log)" >&2; exit 1; fi
    sleep 0.1
  done
  exit 0
fi

if [ "$cmd" = stop ]; then
  # The OSD first: a mon stopped first leaves it retrying its reports until killed.
  stop_daemon osd.0
  stop_daemon mon.a
  rm -rf "$dir"
  exit 0
fi
[ "$cmd" = start ] || usage

if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then echo "$0: $dir is not empty" >&2; exit 1; fi
mkdir -p "$dir/run" "$dir/log" "$dir/mon.a" "$dir/osd.0"
dir=$(cd "$dir" && pwd)
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then echo "$0: $dir is on tmpfs (BlueStore needs O_DIRECT)" >&2; exit 1; fi

fsid=$(cat /proc/sys/kernel/random/uuid)
conf=$dir/ceph.conf
cat >"$conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$port
public_addr = 127.0.0.1
ms_bind_msgr1 = false
ms_bind_ipv6 = false
ms_bind_port_min = $((port + 1))
ms_bind_port_max = $((port + 20))
run_dir = $dir/run
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
keyring = $dir/\$name.keyring
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
# Clients otherwise wait 300 s for a cluster that is not there.
client_mount_timeout = 15
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0

[mon]
mon_data = $dir/mon.\$id
keyring = $dir/mon.\$id/keyring
# Faster paxos rounds and ticks: about 4.5 s to a usable pool instead of 11.
paxos_propose_interval = 0.1
mon_tick_interval = 1
mon_allow_pool_delete = true

[osd]
osd_data = $dir/osd.\$id
osd_objectstore = bluestore
# Outside osd_data: pointing it at osd_data/block makes mkfs create a symlink to itself.
bluestore_block_path = $dir/osd.\$id.block
bluestore_block_create = true
bluestore_block_size = ${TANDEM_CEPH_OSD_BYTES:-1073741824}
bluestore_fsck_on_mount = false
# Debian's ceph-osd has no tcmalloc, so osd_memory_target cannot bound it: small fixed caches.
bluestore_cache_autotune = false
bluestore_cache_size = 67108864
bluestore_rocksdb_options_annex = write_buffer_size=33554432,max_write_buffer_number=2,max_total_wal_size=134217728
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
EOF

q() { "$@" >>"$dir/log/setup.log" 2>&1; }

ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/client.admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/client.admin.keyring" >/dev/null
q monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" "$dir/monmap"
q ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
q ceph-mon -c "$conf" -i a

# ceph-osd --mkfs does not write the OSD's keyring: make the key here and register it with the mon.
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_key=$(ceph-authtool --gen-print-key)
printf '[osd.0]\n\tkey = %s\n' "$osd_key" >"$dir/osd.0.keyring"
printf '{"cephx_secret": "%s"}' "$osd_key" | q ceph -c "$conf" osd new "$osd_uuid" -i -
q ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid"
q ceph-osd -c "$conf" -i 0

q ceph -c "$conf" osd pool create rbd 8 8
q ceph -c "$conf" osd pool application enable rbd rbd
# An image can be created once the pool's placement groups are active on the OSD.
n=0
until q rbd -c "$conf" create --size 1M tandem-ready; do
  n=$((n + 1))
  if [ "$n" -ge 60 ]; then echo "$0: pool rbd not usable after 60 s (see $dir/log)" >&2; exit 1; fi
  sleep 1
done
q rbd -c "$conf" rm --no-progress tandem-ready
echo "$conf"
