/**
 * A host WRITE whose command reached the primary before a switchover and whose data came
 * after it: the old primary (a backup now) must not take it, or it would acknowledge a
 * write the new primary never gets. The write is refused with the port's new state (NOT
 * READY, standby: multipath retries it through the new primary's port), neither image has
 * it, and the retry through the new primary lands on both. Before the fix, the demoted
 * node wrote it locally and answered GOOD (e2e scenario 16 read the block back as zeroes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import type { Nexus } from '../../../src/scsi/types.js';
import type { ReplicatedDevice } from '../../../src/replication/replicated-device.js';
import { be16, be32, cdbOf, freshMetaDir, nexus } from '../../scsi/helpers.js';
import { outcome } from '../../scsi/alua/alua-rig.js';
import { Pair, syncedPair } from '../paired-nodes.js';

const BLOCK = 512;
const HOST = nexus(2);
const REPLICATOR = nexus(1);
const isReplicator = (n: Nexus) => n.initiatorName === REPLICATOR.initiatorName;

let pair: Pair | undefined;
afterEach(async () => pair?.close());

/** What a served node puts in front of its replicated device (as serve does). */
async function targetOver(device: ReplicatedDevice, name: string): Promise<ScsiTarget> {
  const lu = await LogicalUnit.create({
    lun: 0,
    targetName: name,
    device,
    blockSize: BLOCK,
    metaDir: freshMetaDir(),
    writeAllowed: (n) => device.acceptsWrites(isReplicator(n)),
    replicator: isReplicator,
    replication: device.endpoint,
  });
  const target = new ScsiTarget(name, [lu]);
  target.nexusSeen(HOST);
  return target;
}

const write10 = (lba: number, blocks: number) => cdbOf([0x2a, 0, ...be32(lba), 0, ...be16(blocks), 0]);

describe.each(['async', 'sync'] as const)('a host write across a switchover (%s mirroring)', (flavour) => {
  it('is refused by the demoted node, lands on neither, and its retry through the new primary lands on both', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    const [ta, tb] = await Promise.all([targetOver(a.device, 'iqn.2026-11.test:a'), targetOver(b.device, 'iqn.2026-11.test:b')]);
    const offset = 40 * BLOCK;
    const data = Buffer.alloc(16 * BLOCK, 0x5a);
    const req = { nexus: HOST, lun: 0, cdb: write10(40, 16), expectedLength: data.length, read: false, write: true, taskAttribute: 0 };

    // The command reaches a while it is the primary (admitted); its Data-Out is still on the wire.
    const admitted = ta.prepare(req);
    expect(admitted.dataOutLength).toBe(data.length);
    await a.device.switchover();
    expect(a.device.role).toBe('backup');

    expect(outcome(await admitted.run(data))).toEqual([0x02, 0x04, 0x0b]);
    expect((await a.read(offset, data.length)).equals(data)).toBe(false);
    expect((await b.read(offset, data.length)).equals(data)).toBe(false);

    // multipath's retry through b's port.
    await pair.tickUntil(() => b.device.status().state === 'continuous');
    const retry = tb.prepare(req);
    expect(outcome(await retry.run(data))).toBe('GOOD');
    await b.device.flush();
    await pair.settle(() => b.device.status().journal.entries === 0);
    expect((await b.read(offset, data.length)).equals(data)).toBe(true);
    await pair.settle(async () => (await a.read(offset, data.length)).equals(data));
    await Promise.all([ta.close(), tb.close()]);
  });
});
