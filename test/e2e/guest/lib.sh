# Shared helpers for guest scenario scripts (busybox sh). The host writes /job/env.sh with
# T<i>_IQN, T<i>_PORTAL, T<i>_LUNS (LUN numbers in spec order), T<i>_CHAP_USER/SECRET,
# T<i>_MUTUAL_USER/SECRET for each target i; scenario-specific variables come with it.
. /job/env.sh
mkdir -p /job/out

# Facts for the host to assert on, one per line: RESULT <key> <value...>
result() { echo "RESULT $*" >>/job/results.txt; echo "result: $*"; }

# Hands control to the host (which acts, e.g. kills the target) and waits for it.
# Fails when the host's handler failed (phase-N-failed), so `phase N || exit 1` stops early.
phase() {
  touch "/job/phase-$1-ready"
  i=0
  while [ ! -e "/job/phase-$1-go" ]; do
    i=$((i + 1)); [ $i -gt 1800 ] && { echo "phase $1: host never answered"; return 1; }
    sleep 0.1
  done
  if [ -e "/job/phase-$1-failed" ]; then echo "phase $1: the host step failed: $(cat "/job/phase-$1-failed")"; return 1; fi
}

# node_new IQN PORTAL [IFACE]: a node record for the guest-visible portal. SendTargets may
# report the host-side address, which the guest cannot reach, so we never rely on it.
# A record SendTargets already made for that portal (target advertising the guest-visible
# address) is kept: a second one (different TPGT) would make login try twice.
node_new() {
  iscsiadm -m node -T "$1" -p "$2" ${3:+-I "$3"} >/dev/null 2>&1 ||
    iscsiadm -m node -o new -T "$1" -p "$2" ${3:+-I "$3"} >/dev/null
}
# node_set IQN PORTAL NAME VALUE [IFACE]
node_set() {
  iscsiadm -m node -T "$1" -p "$2" ${5:+-I "$5"} -o update -n "$3" -v "$4"
}
# node_chap IQN PORTAL USER SECRET [MUTUAL_USER MUTUAL_SECRET]
node_chap() {
  node_set "$1" "$2" node.session.auth.authmethod CHAP
  node_set "$1" "$2" node.session.auth.username "$3"
  node_set "$1" "$2" node.session.auth.password "$4"
  if [ -n "${5:-}" ]; then
    node_set "$1" "$2" node.session.auth.username_in "$5"
    node_set "$1" "$2" node.session.auth.password_in "$6"
  fi
}
# login IQN PORTAL [IFACE] -> iscsiadm's exit code
login() {
  iscsiadm -m node -T "$1" -p "$2" ${3:+-I "$3"} --login
}
logout() {
  iscsiadm -m node -T "$1" -p "$2" ${3:+-I "$3"} --logout
}

# session_disks IQN [INITIATOR_NAME]: "LUN sdX" per attached disk of that target's sessions.
session_disks() {
  iscsiadm -m session -P 3 2>/dev/null | awk -v want="$1" -v ini="${2:-}" '
    /^Target: / { tgt = $2 }
    /Iface Initiatorname:/ { name = $3 }
    /Lun: / { lun = $NF }
    /Attached scsi disk/ { if (tgt == want && (ini == "" || name == ini)) print lun, $4 }'
}

# wait_disks IQN COUNT [INITIATOR_NAME]: waits for COUNT disks (LUN scan is asynchronous),
# then prints them like session_disks. Fails after 30 s.
wait_disks() {
  i=0
  while [ "$(session_disks "$1" "${3:-}" | wc -l)" -lt "$2" ]; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "wait_disks: $1 has $(session_disks "$1" | wc -l) of $2 disks"; return 1; }
    sleep 0.1
  done
  # The block device node appears a moment after the SCSI device attaches.
  for d in $(session_disks "$1" "${3:-}" | awk '{ print $2 }'); do
    j=0
    while [ ! -b "/dev/$d" ] && [ $j -lt 100 ]; do j=$((j + 1)); sleep 0.1; done
  done
  session_disks "$1" "${3:-}"
}

# disk_for_lun IQN LUN [INITIATOR_NAME] -> sdX
disk_for_lun() {
  session_disks "$1" "${3:-}" | awk -v l="$2" '$1 == l { print $2; exit }'
}

# Kernel messages (session drops, recovery) go to the share for the host's log.
save_dmesg() { dmesg >"/job/out/dmesg.txt" 2>&1; }

# Verified writes across a host action: start_verified_writes FIO_ARGS... runs fio's writes
# (crc32c headers, rate-limited so they outlast the action) in the background;
# end_verified_writes FIO_ARGS... waits for them, reads every block back with
# --verify_only, and records write_rc, verify_rc and the session recoveries the kernel logged.
start_verified_writes() {
  fio "$@" --do_verify=0 --output=/job/out/fio-write.json >/job/out/fio-write.txt 2>&1 &
  writes_pid=$!
}
end_verified_writes() {
  wait "$writes_pid"
  result write_rc $?
  fio "$@" --verify_only --output=/job/out/fio-verify.json >/job/out/fio-verify.txt 2>&1
  result verify_rc $?
  result recoveries "$(dmesg | grep -c 'detected conn error')"
  save_dmesg
}

# --- dm-multipath (scenarios 15-17) -------------------------------------------------------
# multipath_start: udevd, coldplug, then multipathd in the foreground (its log in
# /job/out/multipathd.log: the image has no syslog), backgrounded; waits until it answers.
multipath_start() {
  mkdir -p /run/udev /etc/multipath
  udevd --daemon >/job/out/udevd.log 2>&1 || return 1
  udevadm trigger --action=add --type=subsystems
  udevadm trigger --action=add --type=devices
  udevadm settle --timeout=60
  multipathd -d -s >/job/out/multipathd.log 2>&1 &
  i=0
  until multipathd show daemon >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "multipathd does not answer"; return 1; }
    sleep 0.1
  done
}

# mpath_node N IQN PORTAL: a node record whose failures multipath sees within seconds
# (docs/multipath.md: replacement_timeout 5 instead of 120, NOP-Out every 2 s).
mpath_node() {
  node_new "$2" "$3"
  node_set "$2" "$3" node.session.timeo.replacement_timeout 5
  node_set "$2" "$3" node.conn[0].timeo.noop_out_interval 2
  node_set "$2" "$3" node.conn[0].timeo.noop_out_timeout 2
}

# mpath_attach N IQN PORTAL: log in, wait for the path's disk (its name in $disk and a result).
mpath_attach() {
  login "$2" "$3" >/job/out/login-$1.txt 2>&1
  result ${1}_login_rc $?
  disk=$(wait_disks "$2" 1 | awk '{ print $2; exit }')
  result ${1}_disk "$disk"
  [ -n "$disk" ]
}

# mpath_map PATHS: waits (60 s) for a multipath map with PATHS paths; prints its name.
mpath_map() {
  i=0
  while :; do
    name=$(multipathd show maps raw format "%n %N" 2>/dev/null | awk -v want="$1" '$2 == want { print $1; exit }')
    [ -n "$name" ] && [ -b "/dev/mapper/$name" ] && { echo "$name"; return 0; }
    i=$((i + 1)); [ $i -gt 600 ] && return 1
    sleep 0.1
  done
}

# mpath_wait_active DISK [SECONDS]: waits until DISK's path group is the one multipath uses
# (prio 50: its port group is active/optimized) and the path is up.
mpath_wait_active() {
  i=0
  while :; do
    multipathd show paths raw format "%d %t %T %p" 2>/dev/null | awk -v d="$1" '$1 == d && $2 == "active" && $3 == "ready" && $4 == 50 { ok = 1 } END { exit !ok }' && return 0
    i=$((i + 1)); [ $i -gt $((${2:-30} * 10)) ] && return 1
    sleep 0.1
  done
}

# alua_snapshot NAME DISK...: multipath -ll and, for each path, sg_rtpg and sg_inq, into
# /job/out/NAME-*.txt (the scenario log keeps the states at each step).
alua_snapshot() {
  name=$1
  shift
  multipath -ll >"/job/out/$name-multipath-ll.txt" 2>&1
  for d in "$@"; do
    sg_rtpg -d "/dev/$d" >"/job/out/$name-rtpg-$d.txt" 2>&1
  done
}
