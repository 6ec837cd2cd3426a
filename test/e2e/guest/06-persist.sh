# Scenario 6: SCSI-3 persistent reservations across two I_T nexuses (two initiator names).
. /job/lib.sh
second=iqn.2026-11.io.tandem.e2e:second
node_new "$T0_IQN" "$T0_PORTAL"
login "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result login_a_rc $?
iscsiadm -m iface -I second -o new >/dev/null
iscsiadm -m iface -I second -o update -n iface.initiatorname -v "$second" >/dev/null
node_new "$T0_IQN" "$T0_PORTAL" second
login "$T0_IQN" "$T0_PORTAL" second >/dev/null 2>&1
result login_b_rc $?
a=$(wait_disks "$T0_IQN" 1 "$(cut -d= -f2 /etc/iscsi/initiatorname.iscsi)" | awk '{ print $2; exit }')
b=$(wait_disks "$T0_IQN" 1 "$second" | awk '{ print $2; exit }')
result disks "$a $b"

dd if=/dev/zero of=/tmp/block bs=512 count=1 2>/dev/null
# write_status NAME DISK: a one-block WRITE(10) at LBA 0, reporting the SCSI status.
write_status() {
  sg_raw -s 512 -i /tmp/block "/dev/$2" 2a 00 00 00 00 00 00 00 01 00 >/job/out/$1.txt 2>&1
  rc=$?
  result $1_rc $rc
  result $1_status "$(grep -o 'SCSI Status: [A-Za-z ]*' /job/out/$1.txt | head -1 | cut -d: -f2 | sed 's/^ //')"
}
read_status() {
  sg_raw -r 512 "/dev/$2" 28 00 00 00 00 00 00 00 01 00 >/job/out/$1.txt 2>&1
  result $1_rc $?
}
pr() { # NAME DISK sg_persist-args...
  name=$1 disk=$2; shift 2
  sg_persist "$@" "/dev/$disk" >/job/out/$name.txt 2>&1
  rc=$?
  # A unit attention (exit 6, e.g. RESERVATIONS RELEASED) is news, not refusal: retry once.
  if [ $rc = 6 ]; then
    sg_persist "$@" "/dev/$disk" >>/job/out/$name.txt 2>&1
    rc=$?
  fi
  result $name $rc
}

pr register_a "$a" --out --register --param-sark=0xa1
pr reserve_a "$a" --out --reserve --param-rk=0xa1 --prout-type=1
sg_persist --in --read-keys "/dev/$a" >/job/out/keys.txt 2>&1
sg_persist --in --read-reservation "/dev/$a" >/job/out/reservation.txt 2>&1
write_status write_a "$a"
write_status write_b_reserved "$b"
read_status read_b_reserved "$b"
pr register_b "$b" --out --register --param-sark=0xb2
pr reserve_b_conflict "$b" --out --reserve --param-rk=0xb2 --prout-type=1
pr release_a "$a" --out --release --param-rk=0xa1 --prout-type=1
write_status write_b_released "$b"
pr unregister_a "$a" --out --register --param-rk=0xa1 --param-sark=0
pr unregister_b "$b" --out --register --param-rk=0xb2 --param-sark=0
sg_persist --in --read-keys "/dev/$a" >/job/out/keys-after.txt 2>&1
logout "$T0_IQN" "$T0_PORTAL" second >/dev/null 2>&1
logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
