# Scenario 1: discovery and login without CHAP (T0), with CHAP (T1), with mutual CHAP (T2);
# wrong secrets are refused.
. /job/lib.sh

for i in 0 1 2; do
  eval iqn=\$T${i}_IQN portal=\$T${i}_PORTAL
  iscsiadm -m discovery -t sendtargets -p "$portal" >/job/out/discovery-$i.txt 2>&1
  result discovery_rc_$i $?
  result discovered_$i "$(awk '{ print $2 }' /job/out/discovery-$i.txt | tr '\n' ' ')"
  node_new "$iqn" "$portal"
done

try_login() { # label iqn portal
  login "$2" "$3" >>/job/out/login-$1.txt 2>&1
  rc=$?
  result login_rc_$1 $rc
  if [ $rc = 0 ]; then
    result disks_$1 "$(wait_disks "$2" 1 | wc -l)"
    logout "$2" "$3" >/dev/null 2>&1
    result logout_rc_$1 $?
  fi
}

try_login none "$T0_IQN" "$T0_PORTAL"

node_chap "$T1_IQN" "$T1_PORTAL" "$T1_CHAP_USER" "wrong-$T1_CHAP_SECRET"
try_login chap_wrong "$T1_IQN" "$T1_PORTAL"
node_chap "$T1_IQN" "$T1_PORTAL" "$T1_CHAP_USER" "$T1_CHAP_SECRET"
try_login chap "$T1_IQN" "$T1_PORTAL"

# Without CHAP credentials at all, a CHAP target must refuse too.
iscsiadm -m node -o delete -T "$T1_IQN" -p "$T1_PORTAL"
node_new "$T1_IQN" "$T1_PORTAL"
try_login chap_none "$T1_IQN" "$T1_PORTAL"

node_chap "$T2_IQN" "$T2_PORTAL" "$T2_CHAP_USER" "$T2_CHAP_SECRET" "$T2_MUTUAL_USER" "$T2_MUTUAL_SECRET"
try_login mutual "$T2_IQN" "$T2_PORTAL"
# The initiator must refuse a target that cannot prove the secret we expect.
node_chap "$T2_IQN" "$T2_PORTAL" "$T2_CHAP_USER" "$T2_CHAP_SECRET" "$T2_MUTUAL_USER" "wrong-$T2_MUTUAL_SECRET"
try_login mutual_wrong_target "$T2_IQN" "$T2_PORTAL"
