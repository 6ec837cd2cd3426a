#!/bin/sh
# PID 1 of the e2e guest: bring up modules, the 9p job share and the network, start iscsid,
# run the scenario script the host put on the share, record its exit code, power off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
# Modules requested on demand (crypto for ext4/iSCSI digests) go through busybox modprobe.
echo /sbin/modprobe >/proc/sys/kernel/modprobe
for m in $(cat /etc/kernel-modules); do modprobe "$m" 2>/dev/null || echo "init: modprobe $m failed"; done

if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 job /job; then
  echo "init: cannot mount the job share"; poweroff -f
fi
exec >>/job/guest.log 2>&1
echo "init: kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime)s"

ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

iscsid -f >/job/iscsid.log 2>&1 &
# iscsiadm talks to iscsid over an abstract socket; wait until it answers
# (exit 21 means "no active sessions", i.e. iscsid is up).
i=0
while :; do
  iscsiadm -m session >/dev/null 2>&1
  rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 21 ] && break
  i=$((i + 1)); [ $i -gt 100 ] && { echo "init: iscsid does not answer (rc $rc)"; break; }
  sleep 0.1
done

cd /job
echo "init: running scenario, up $(cut -d' ' -f1 /proc/uptime)s"
sh /job/scenario.sh
echo $? >/job/exit-code.tmp && mv /job/exit-code.tmp /job/exit-code
echo "init: scenario done, up $(cut -d' ' -f1 /proc/uptime)s"
sync
poweroff -f
