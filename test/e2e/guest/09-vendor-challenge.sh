# Scenario 9: Tandem's single-extent CHALLENGE (C1h, docs/vendor-commands.md §2) sent raw
# with sg_raw from the Linux initiator. The guest writes random bytes at WRITTEN_LBA, asks for
# answers over them and over an extent it never wrote (ZERO_LBA); the host recomputes V.
# Env from the host: WRITTEN_LBA, ZERO_LBA, BLOCKS (512-byte blocks), NONCE_A, NONCE_B (16 hex).
. /job/lib.sh
node_new "$T0_IQN" "$T0_PORTAL"
login "$T0_IQN" "$T0_PORTAL" >/job/out/login.txt 2>&1
result login_rc $?
wait_disks "$T0_IQN" 1 >/job/out/disks.txt
disk=$(awk 'NR == 1 { print $2 }' /job/out/disks.txt)
result disk "$disk"
result sectors "$(cat /sys/block/$disk/size)"

# The host hashes exactly these bytes, so it needs no seed of ours.
bytes=$((BLOCKS * 512))
head -c $bytes /dev/urandom >/job/out/pattern.bin
# One direct write of the whole extent: no page cache between us and the target.
dd if=/job/out/pattern.bin of=/dev/$disk bs=$bytes seek=$((WRITTEN_LBA / BLOCKS)) count=1 oflag=direct \
  >/job/out/dd.txt 2>&1
result dd_rc $?

# cdb_hex LBA BLOCKS NONCE -> the 16 CDB bytes as sg_raw arguments:
# C1, ALGORITHM 0 | LBA bits 35-32, LBA bits 31-0, EXTENT LENGTH, NONCE (8 bytes), CONTROL.
cdb_hex() {
  printf 'c1 %02x %02x %02x %02x %02x %02x %s 00' \
    $(($1 >> 32 & 15)) $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)) \
    "$2" "$(echo "$3" | sed 's/../& /g; s/ $//')"
}

# challenge NAME LBA BLOCKS NONCE: sends C1h asking for more than the 40 bytes it returns
# (the transport truncates, there is no ALLOCATION LENGTH) and reports the Data-In as hex.
challenge() {
  cdb=$(cdb_hex "$2" "$3" "$4")
  result "${1}_cdb" "$(echo "$cdb" | tr -d ' ')"
  result "${1}_nonce" "$4"
  sg_raw -v -r 64 -o "/job/out/$1.bin" "/dev/$disk" $cdb >"/job/out/$1.txt" 2>&1
  result "${1}_rc" $?
  result "${1}_data" "$(xxd -p "/job/out/$1.bin" | tr -d '\n')"
}
challenge written_a "$WRITTEN_LBA" "$BLOCKS" "$NONCE_A"
challenge written_b "$WRITTEN_LBA" "$BLOCKS" "$NONCE_B"
challenge written_a_again "$WRITTEN_LBA" "$BLOCKS" "$NONCE_A"
challenge zero_a "$ZERO_LBA" "$BLOCKS" "$NONCE_A"

logout "$T0_IQN" "$T0_PORTAL" >/dev/null 2>&1
result logout_rc $?
