# Scenario 2: what sg3_utils sees on a target with two LUNs.
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
login "$T0_IQN" "$T0_PORTAL" >/job/out/login.txt 2>&1
result login_rc $?
wait_disks "$T0_IQN" 2 >/job/out/disks.txt
result disk_count "$(wc -l </job/out/disks.txt)"
while read -r lun disk; do
  result disk "$lun $disk $(cat /sys/block/$disk/size)"
  sg_inq "/dev/$disk" >/job/out/inq-$lun.txt 2>&1
  result inq_rc_$lun $?
  for page in 0x00 0x80 0x83 0xb0 0xb2; do
    sg_vpd -p $page "/dev/$disk" >/job/out/vpd-$page-$lun.txt 2>&1
    result vpd_rc_${page}_$lun $?
  done
  sg_readcap -l "/dev/$disk" >/job/out/readcap-$lun.txt 2>&1
  result readcap_rc_$lun $?
done </job/out/disks.txt
first=$(awk 'NR == 1 { print $2 }' /job/out/disks.txt)
sg_luns "/dev/$first" >/job/out/luns.txt 2>&1
result luns_rc $?
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result logout_rc $?
