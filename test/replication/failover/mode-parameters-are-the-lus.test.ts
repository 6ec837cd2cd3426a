/**
 * The mode parameters a host may change (WCE, D_SENSE, SWP, TAS) are the replicated LU's, not one
 * node's: hosts see one LU through both nodes' ports. A host that turned the write cache off
 * through the primary sends no SYNCHRONIZE CACHE; were the backup still caching once promoted,
 * its writes would be acknowledged from a page cache nobody flushes. Set through either port,
 * the values reach the other node (each of its nexuses told MODE PARAMETERS CHANGED), survive
 * a switchover, and reach a backup that was away when it answers again.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Nexus } from '../../../src/scsi/types.js';
import { senseOf } from '../../scsi/helpers.js';
import { Pair, syncedPair } from '../paired-nodes.js';
import { REPLICATOR_IQN, front, nexusTo, removeFronts, type Front } from './scsi-front.js';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  removeFronts();
});

const HOST_IQN = 'iqn.2026-11.example:host';
const WRITE10 = [0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0];
const MODE_SENSE_CACHING = [0x5a, 0x08, 0x08, 0, 0, 0, 0, 0x01, 0x00, 0];
const MODE_SENSE_CONTROL = [0x5a, 0x08, 0x0a, 0, 0, 0, 0, 0x01, 0x00, 0];

/** MODE SELECT(10), PF=1, of one page as MODE SENSE returned it (header and page). */
async function modeSelect(f: Front, who: Nexus, sense: number[], change: (page: Buffer) => void): Promise<number> {
  const current = (await f.exec(who, sense)).dataIn!;
  const page = Buffer.from(current.subarray(8));
  page[0] = page[0]! & 0x3f;
  change(page);
  const list = Buffer.concat([Buffer.alloc(8), page]);
  return (await f.exec(who, [0x55, 0x10, 0, 0, 0, 0, 0, 0, list.length, 0], list)).status;
}

async function writeCache(f: Front, who: Nexus): Promise<boolean> {
  const r = await f.exec(who, MODE_SENSE_CACHING);
  if (r.status !== 0) throw new Error(`MODE SENSE: status ${r.status}, sense ${JSON.stringify(senseOf(r))}`);
  return (r.dataIn![8 + 2]! & 0x04) !== 0;
}

/** The nexus's next unit attention as ASC/ASCQ (undefined: none), consumed by a MODE SENSE (which a standby port serves). */
async function attention(f: Front, who: Nexus): Promise<number | undefined> {
  const r = await f.exec(who, MODE_SENSE_CACHING);
  if (r.status === 0) return undefined;
  const sense = senseOf(r);
  expect(sense.key).toBe(0x06);
  return (sense.asc << 8) | sense.ascq;
}

async function drainAttentions(f: Front, who: Nexus): Promise<void> {
  for (let i = 0; i < 8 && (await attention(f, who)) !== undefined; i++);
}

/** A synced pair, a front on each node, and the host's nexus through each with its first unit attentions taken. */
async function pairWithHost(): Promise<{ pair: Pair; fa: Front; fb: Front; hostA: Nexus; hostB: Nexus }> {
  const synced = await syncedPair();
  pair = synced;
  const fa = await front(synced.a, 'iqn.test:node-a');
  const fb = await front(synced.b, 'iqn.test:node-b');
  const hostA = nexusTo(fa.iqn, HOST_IQN);
  const hostB = nexusTo(fb.iqn, HOST_IQN);
  await drainAttentions(fa, hostA);
  await drainAttentions(fb, hostB);
  return { pair: synced, fa, fb, hostA, hostB };
}

describe('mode parameters of a replicated LU', () => {
  it('WCE=0 set through the primary is the backup\'s too, and its writes are forced durable once promoted', async () => {
    const { pair, fa, fb, hostA, hostB } = await pairWithHost();
    expect(await writeCache(fb, hostB)).toBe(true);

    expect(await modeSelect(fa, hostA, MODE_SENSE_CACHING, (p) => (p[2] = p[2]! & ~0x04))).toBe(0);
    expect(await attention(fb, hostB)).toBe(0x2a01);
    expect(await writeCache(fb, hostB)).toBe(false);

    await pair.a.device.switchover();
    await drainAttentions(fb, hostB);
    const write = vi.spyOn(pair.b.device, 'write');
    expect((await fb.exec(hostB, WRITE10, Buffer.alloc(512, 7))).status).toBe(0);
    expect(write).toHaveBeenCalledWith(expect.any(Buffer), 8 * 512, true, undefined);
  });

  it('set through the standby port (D_SENSE, SWP, TAS) reach the primary, whose own nexuses are told', async () => {
    const { fa, fb, hostA, hostB } = await pairWithHost();
    expect(fa.lu.abortedTaskAnswer()).toBeUndefined();

    expect(await modeSelect(fb, hostB, MODE_SENSE_CONTROL, (p) => ((p[2] = p[2]! | 0x04), (p[4] = p[4]! | 0x08), (p[5] = p[5]! | 0x40)))).toBe(0);
    expect(await attention(fa, hostA)).toBe(0x2a01);
    const control = (await fa.exec(hostA, MODE_SENSE_CONTROL)).dataIn!;
    expect(control[8 + 2]! & 0x04).toBe(0x04);
    expect(control[8 + 4]! & 0x08).toBe(0x08);
    // TAS: commands another nexus aborts on the primary answer TASK ABORTED, as the host asked through the backup.
    expect(control[8 + 5]! & 0x40).toBe(0x40);
    expect(fa.lu.abortedTaskAnswer()?.status).toBe(0x40);
    // SWP: the primary refuses host writes now, in descriptor-format sense (D_SENSE).
    const refused = await fa.exec(hostA, WRITE10, Buffer.alloc(512, 1));
    expect(refused.status).toBe(2);
    expect(senseOf(refused)).toMatchObject({ key: 0x07, asc: 0x27, format: 0x72 });
    // A host's setting: the replicator still keeps the backup in step.
    expect((await fb.exec(nexusTo(fb.iqn, REPLICATOR_IQN, '00000000ffff'), WRITE10, Buffer.alloc(512, 2))).status).toBe(0);
    expect((await fb.exec(hostB, WRITE10, Buffer.alloc(512, 3))).status).toBe(2);
  });

  it('changed while the backup was away reach it when it answers again', async () => {
    const { pair, fa, fb, hostA, hostB } = await pairWithHost();
    pair.partitioned = true;
    await pair.tick();
    expect(await modeSelect(fa, hostA, MODE_SENSE_CACHING, (p) => (p[2] = p[2]! & ~0x04))).toBe(0);
    expect(await writeCache(fb, hostB)).toBe(true);
    pair.partitioned = false;
    await pair.tickUntil(() => pair.b.device.endpoint.state().prSequence === pair.a.device.endpoint.state().prSequence, 5);
    expect(await attention(fb, hostB)).toBe(0x2a01);
    expect(await writeCache(fb, hostB)).toBe(false);
  });
});
