# Scenario 4: fio random writes then verified reads, iodepth 32, 4 KiB to 1 MiB blocks,
# 128 MiB in four disjoint 32 MiB regions (one block size each, so verify never sees overlaps).
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result login_rc $?
disk=$(wait_disks "$T0_IQN" 1 | awk '{ print $2; exit }')
set -- 4k 64k 256k 1m
jobs=""
off=0
for bs in "$@"; do
  jobs="$jobs --name=rand-$bs --bs=$bs --offset=${off}m --size=32m"
  off=$((off + 32))
done
fio --filename="/dev/$disk" --direct=1 --ioengine=libaio --iodepth=32 --rw=randwrite \
  --verify=crc32c --do_verify=1 --verify_fatal=1 --output-format=json \
  --output=/job/out/fio.json $jobs >/job/out/fio.txt 2>&1
result fio_rc $?
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
