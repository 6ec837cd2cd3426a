#!/usr/bin/env bash
# One guest connection to a target's loopback port, run by QEMU's guestfwd once per guest
# connection (the connection is this script's stdin and stdout). Usage: guest-connect.sh PORT
#
# slirp has already accepted the guest's connection when this runs, so a target that is down
# (being restarted) cannot refuse it. Closing at once would show the initiator a connection
# accepted and then closed mid-login, which no real network does; open-iscsi's iscsid mishandles
# it at one point of its login (it fails to set a parameter with ENOTCONN, then "can't bind conn"
# on every retry until the session's replacement timeout). Instead the connection waits for the
# port, as a SYN retransmitted to a host that is down would, for up to 10 s, then closes.
port=$1
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    # nc's "can't connect" must not reach the initiator as the bytes of a PDU.
    exec busybox nc 127.0.0.1 "$port" 2>/dev/null
  fi
  sleep 0.1
done
