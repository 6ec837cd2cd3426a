/**
 * The volume tag a primary registers on its backup (docs/replication.md, "Identity") is the
 * pair's, not a host's. Found by hand: once a pair had run a while, the backup had shipped its
 * tag to the primary with the hosts' shared PR state, so every host saw a registration it never
 * made, and RESERVE(6) through the primary always answered RESERVATION CONFLICT (SPC-4 CRH=1:
 * any registration makes RESERVE conflict); libiscsi's Reserve6 suites failed there. After a
 * promotion the tag on the new primary's own LU did the same.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Nexus } from '../../../src/scsi/types.js';
import { Pair, syncedPair } from '../paired-nodes.js';
import { REPLICATOR_IQN, front, keys, nexusTo, prOut, prOutParameters, removeFronts, type Front } from './scsi-front.js';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  removeFronts();
});

const HOST_IQN = 'iqn.2026-11.example:cluster-node-1';
const KEY = 0x1234n;
const TAG_KEY = 0x5456_0123456789abn;
const REGISTER = 0x00;
const REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;
const RESERVE6 = [0x16, 0, 0, 0, 0, 0];
const RESERVATION_CONFLICT = 0x18;
const READ_FULL_STATUS = [0x5e, 0x03, 0, 0, 0, 0, 0, 0x04, 0x00, 0];

const replicatorOn = (f: Front) => nexusTo(f.iqn, REPLICATOR_IQN, '00000000ffff');
const hostOn = (f: Front) => nexusTo(f.iqn, HOST_IQN);

async function fullStatusKeys(f: Front, who: Nexus): Promise<bigint[]> {
  const d = (await f.exec(who, READ_FULL_STATUS)).dataIn!;
  const found: bigint[] = [];
  for (let at = 8; at < 8 + d.readUInt32BE(4); at += 24 + d.readUInt32BE(at + 20)) found.push(d.readBigUInt64BE(at));
  return found;
}

/** The primary's replicator tags the backup, as IscsiReplicaLink.claim does: REGISTER AND IGNORE EXISTING KEY, APTPL. */
async function tagBackup(fb: Front): Promise<void> {
  expect((await fb.exec(replicatorOn(fb), prOut(REGISTER_AND_IGNORE_EXISTING_KEY), prOutParameters(0n, TAG_KEY, true))).status).toBe(0);
}

describe("the backup's volume tag", () => {
  it('is not shown to hosts, nor sent to the primary, and stays on the backup when the hosts\' state arrives', async () => {
    pair = await syncedPair();
    const fa = await front(pair.a, 'iqn.test:node-a');
    const fb = await front(pair.b, 'iqn.test:node-b');
    await tagBackup(fb);
    expect(pair.b.device.endpoint.state().prSequence, 'the tag is no change of the hosts\' state').toBe(0n);

    // A host registers through the backup's standby port (B sends its state) and through A's (A sends its).
    expect((await fb.exec(hostOn(fb), prOut(REGISTER), prOutParameters(0n, KEY))).status).toBe(0);
    expect((await fa.exec(hostOn(fa), prOut(REGISTER), prOutParameters(0n, KEY))).status).toBe(0);
    expect(pair.a.device.endpoint.state().prSequence).toBe(pair.b.device.endpoint.state().prSequence);

    expect(await keys(fa, hostOn(fa)), 'hosts on the primary see their own keys only').toEqual([KEY, KEY]);
    expect(await keys(fb, hostOn(fb)), 'hosts on the backup too').toEqual([KEY, KEY]);
    expect(await keys(fa, replicatorOn(fa)), 'the tag never reached the primary').toEqual([KEY, KEY]);
    expect(await keys(fb, replicatorOn(fb)), 'the replicator still finds its tag on the backup').toContain(TAG_KEY);
    expect(await fullStatusKeys(fb, hostOn(fb)), "READ FULL STATUS shows hosts theirs alone").toEqual([KEY, KEY]);
    expect(await fullStatusKeys(fb, replicatorOn(fb))).toContain(TAG_KEY);
  });

  it("does not make a host's RESERVE(6) conflict, on the primary nor on a promoted backup", async () => {
    pair = await syncedPair();
    const fa = await front(pair.a, 'iqn.test:node-a');
    const fb = await front(pair.b, 'iqn.test:node-b');
    await tagBackup(fb);
    // The hosts' state goes between the nodes (a registration made and withdrawn).
    expect((await fb.exec(hostOn(fb), prOut(REGISTER), prOutParameters(0n, KEY))).status).toBe(0);
    expect((await fb.exec(hostOn(fb), prOut(REGISTER), prOutParameters(KEY, 0n))).status).toBe(0);
    expect(pair.a.device.endpoint.state().prSequence).toBeGreaterThan(0n);

    expect((await fa.exec(hostOn(fa), RESERVE6)).status).toBe(0);

    pair.a.crash();
    await pair.b.device.promote(true);
    const other = nexusTo(fb.iqn, 'iqn.2026-11.example:cluster-node-2');
    expect((await fb.exec(other, RESERVE6)).status).toBe(0);
    expect((await fb.exec(hostOn(fb), RESERVE6)).status, 'the SPC-2 reservation itself still holds').toBe(RESERVATION_CONFLICT);
  });
});
