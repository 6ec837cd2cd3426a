/**
 * Persistent reservations of a replicated LU are the pair's: a host registers through each
 * node's port (per I_T nexus, as multipath hosts do, or once with ALL_TG_PT), reserves through the primary, and after
 * a switchover or a forced promotion the new primary holds the same registrations and
 * reservation. Each node has a real LogicalUnit and SCSI target in front of its device;
 * REPLICATION CONTROL / PR STATE reaches the peer through the peer's target, as the
 * replicator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Nexus } from '../../../src/scsi/types.js';
import { Pair, syncedPair } from '../paired-nodes.js';
import { senseOf } from '../../scsi/helpers.js';
import { READ_KEYS, REPLICATOR_IQN, front, keys, nexusTo, prOut, prOutParameters as params, removeFronts, type Front } from './scsi-front.js';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  removeFronts();
});

const HOST_IQN = 'iqn.2026-11.example:cluster-node-1';
const OTHER_IQN = 'iqn.2026-11.example:cluster-node-2';
const KEY = 0x1234n;

const READ_RESERVATION = [0x5e, 0x01, 0, 0, 0, 0, 0, 0x01, 0x00, 0];
const READ_FULL_STATUS = [0x5e, 0x03, 0, 0, 0, 0, 0, 0x04, 0x00, 0];
const WRITE10 = [0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0];
const WE_REGISTRANTS_ONLY = 0x05;
const WRITE_EXCLUSIVE = 0x01;

async function reservation(f: Front, who: Nexus): Promise<{ key: bigint; type: number } | undefined> {
  const d = (await f.exec(who, READ_RESERVATION)).dataIn!;
  return d.readUInt32BE(4) === 0 ? undefined : { key: d.readBigUInt64BE(8), type: d[21]! & 0x0f };
}

/** The cluster's registrations: HOST through both nodes' ports, a Write Exclusive Registrants Only reservation through A. */
async function clusterRegisters(fa: Front, fb: Front): Promise<void> {
  for (const f of [fa, fb]) expect((await f.exec(nexusTo(f.iqn, HOST_IQN), prOut(0), params(0n, KEY))).status).toBe(0);
  expect((await fa.exec(nexusTo(fa.iqn, HOST_IQN), prOut(1, WE_REGISTRANTS_ONLY), params(KEY))).status).toBe(0);
}

describe('persistent reservations across a role change', () => {
  it('made on the primary (and through the standby port) are on the backup at once, and serve after a switchover', async () => {
    pair = await syncedPair();
    const fa = await front(pair.a, 'iqn.test:node-a');
    const fb = await front(pair.b, 'iqn.test:node-b');
    await clusterRegisters(fa, fb);
    const hostOnB = nexusTo(fb.iqn, HOST_IQN);
    // Both nodes hold the whole state: two registrations (one per port) and the reservation.
    for (const [f, who] of [[fa, nexusTo(fa.iqn, HOST_IQN)], [fb, hostOnB]] as const) {
      expect(await keys(f, who)).toEqual([KEY, KEY]);
      expect(await reservation(f, who)).toEqual({ key: KEY, type: WE_REGISTRANTS_ONLY });
    }
    expect(pair.a.device.endpoint.state().prSequence).toBe(pair.b.device.endpoint.state().prSequence);

    await pair.a.device.switchover();
    // B serves now: the registered host writes through its port, an unregistered one conflicts.
    expect((await fb.exec(hostOnB, WRITE10, Buffer.alloc(512, 7))).status).toBe(0);
    expect((await fb.exec(nexusTo(fb.iqn, OTHER_IQN), WRITE10, Buffer.alloc(512, 8))).status).toBe(0x18);
    // READ FULL STATUS names each registration's port as hosts see it (A's 1, B's 2).
    const full = (await fb.exec(hostOnB, READ_FULL_STATUS)).dataIn!;
    const ports = [full.readUInt16BE(8 + 18), full.readUInt16BE(8 + 24 + full.readUInt32BE(8 + 20) + 18)].sort();
    expect(ports).toEqual([1, 2]);
  });

  it('a PREEMPT through the new primary reaches the old one (fencing), which tells its own nexus REGISTRATIONS PREEMPTED', async () => {
    pair = await syncedPair();
    const fa = await front(pair.a, 'iqn.test:node-a');
    const fb = await front(pair.b, 'iqn.test:node-b');
    await clusterRegisters(fa, fb);
    const otherOnB = nexusTo(fb.iqn, OTHER_IQN);
    expect((await fb.exec(otherOnB, prOut(0), params(0n, 0x99n))).status).toBe(0);
    await pair.a.device.switchover();
    // The other cluster node fences the first: its key goes, through every port.
    expect((await fb.exec(otherOnB, prOut(4, WE_REGISTRANTS_ONLY), params(0x99n, KEY))).status).toBe(0);
    expect(await keys(fa, nexusTo(fa.iqn, OTHER_IQN))).toEqual([0x99n]);
    const ua = await fa.exec(nexusTo(fa.iqn, HOST_IQN), READ_KEYS);
    expect(ua.status).toBe(2);
  });

  it('made while the backup was away reach it when it answers again, and survive a forced promotion', async () => {
    pair = await syncedPair();
    const fa = await front(pair.a, 'iqn.test:node-a');
    const fb = await front(pair.b, 'iqn.test:node-b');
    pair.partitioned = true;
    await pair.tick();
    expect((await fa.exec(nexusTo(fa.iqn, HOST_IQN), prOut(0), params(0n, KEY))).status).toBe(0);
    expect((await fa.exec(nexusTo(fa.iqn, HOST_IQN), prOut(1, WE_REGISTRANTS_ONLY), params(KEY))).status).toBe(0);
    expect(await keys(fb, nexusTo(fb.iqn, REPLICATOR_IQN))).toEqual([]);
    pair.partitioned = false;
    // A tick's look at the peer's replication state finds it behind and sends the state again.
    await pair.tickUntil(() => pair!.b.device.endpoint.state().prSequence === pair!.a.device.endpoint.state().prSequence, 5);
    expect(await keys(fb, nexusTo(fb.iqn, REPLICATOR_IQN))).toEqual([KEY]);

    pair.a.crash();
    await pair.b.device.promote(true);
    expect(await reservation(fb, nexusTo(fb.iqn, HOST_IQN))).toEqual({ key: KEY, type: WE_REGISTRANTS_ONLY });
    // The holder's registration is A's port: through B the host registers its own before writing.
    expect((await fb.exec(nexusTo(fb.iqn, HOST_IQN), WRITE10, Buffer.alloc(512, 1))).status).toBe(0x18);
    expect((await fb.exec(nexusTo(fb.iqn, HOST_IQN), prOut(0), params(0n, KEY))).status).toBe(0);
    expect((await fb.exec(nexusTo(fb.iqn, HOST_IQN), WRITE10, Buffer.alloc(512, 1))).status).toBe(0);
  });

  it('a host registered with ALL_TG_PT through the primary alone holds its Write Exclusive reservation through the new primary after a switchover', async () => {
    pair = await syncedPair();
    const fa = await front(pair.a, 'iqn.test:node-a');
    const fb = await front(pair.b, 'iqn.test:node-b');
    const allPorts = params(0n, KEY);
    allPorts[20] = 0x04; // ALL_TG_PT
    expect((await fa.exec(nexusTo(fa.iqn, HOST_IQN), prOut(0), allPorts)).status).toBe(0);
    expect((await fa.exec(nexusTo(fa.iqn, HOST_IQN), prOut(1, WRITE_EXCLUSIVE), params(KEY))).status).toBe(0);
    expect((await fb.exec(nexusTo(fb.iqn, OTHER_IQN), prOut(0), params(0n, 0x99n))).status).toBe(0);
    await pair.a.device.switchover();
    const hostOnB = nexusTo(fb.iqn, HOST_IQN);
    expect(await keys(fb, hostOnB)).toEqual([KEY, 0x99n]);
    expect(await reservation(fb, hostOnB)).toEqual({ key: KEY, type: WRITE_EXCLUSIVE });
    // The holder writes through B with no PR command of its own there; another registrant is in conflict.
    expect((await fb.exec(hostOnB, WRITE10, Buffer.alloc(512, 3))).status).toBe(0);
    expect((await fb.exec(nexusTo(fb.iqn, OTHER_IQN), WRITE10, Buffer.alloc(512, 4))).status).toBe(0x18);
    // READ FULL STATUS on B: the host's registration once, for every port, holding the reservation.
    const full = (await fb.exec(hostOnB, READ_FULL_STATUS)).dataIn!;
    expect(full[8 + 12]).toBe(0x03);
  });

  it('an ALL_TG_PT registration made and preempted through the other node: the host\'s nexus here gets REGISTRATIONS PREEMPTED', async () => {
    pair = await syncedPair();
    const fa = await front(pair.a, 'iqn.test:node-a');
    const fb = await front(pair.b, 'iqn.test:node-b');
    const hostOnA = nexusTo(fa.iqn, HOST_IQN);
    expect(await keys(fa, hostOnA)).toEqual([]);
    const allPorts = params(0n, KEY);
    allPorts[20] = 0x04; // ALL_TG_PT
    expect((await fb.exec(nexusTo(fb.iqn, HOST_IQN), prOut(0), allPorts)).status).toBe(0);
    expect((await fb.exec(nexusTo(fb.iqn, OTHER_IQN), prOut(0), params(0n, 0x99n))).status).toBe(0);
    // Seen on A (through another nexus: the host's own, used since, would be the registration's nexus anyway).
    expect(await keys(fa, nexusTo(fa.iqn, OTHER_IQN))).toEqual([KEY, 0x99n]);
    // The other cluster node fences the host through B: A tells the host's nexus on A.
    expect((await fb.exec(nexusTo(fb.iqn, OTHER_IQN), prOut(4, WRITE_EXCLUSIVE), params(0x99n, KEY))).status).toBe(0);
    const ua = await fa.exec(hostOnA, READ_KEYS);
    expect(ua.status).toBe(2);
    expect(senseOf(ua)).toMatchObject({ key: 6, asc: 0x2a, ascq: 0x05 });
  });
});
