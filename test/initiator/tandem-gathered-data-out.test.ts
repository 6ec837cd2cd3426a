/**
 * A Data-Out sent as a gather list (buffers back to back as they are) reaches Tandem intact
 * however the session cuts it into PDUs: immediate data, unsolicited Data-Out and R2T
 * sequences whose segments start and end inside pieces, with and without CRC32C data digests
 * over pieces sent back to back. A WRITE SCATTERED's descriptors go first, then the writes'
 * own buffers; a range may itself come in pieces (contiguous queued changes), gathered or
 * copied into one buffer. A WRITE(16) may come in pieces too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatheredData } from '../../src/initiator/data-out.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR } from './tgtd.js';
import { startTandem, type RunningTandem } from './tandem.js';

const BLOCK = 512;
/** Varied sizes (1 to 9 blocks) at scattered LBAs, each filled with its own bytes. */
const writes = (seed: number) =>
  [3, 1, 9, 2, 5, 1, 7, 4].map((blocks, i) => ({
    lba: 1000 * i + seed,
    data: Buffer.from(Array.from({ length: blocks * BLOCK }, (_, j) => (seed * 31 + i * 7 + j) & 0xff)),
  }));

/** `data` as one piece per block. */
const inBlocks = (data: Buffer) => new GatheredData(Array.from({ length: data.length / BLOCK }, (_, b) => data.subarray(b * BLOCK, (b + 1) * BLOCK)));

const sessions = [
  { name: 'all immediate', digests: false, limits: {} },
  { name: 'small bursts, unsolicited Data-Out, digests', digests: true, limits: { firstBurstLength: 1536, maxBurstLength: 2560 } },
  { name: 'R2T only, digests', digests: true, limits: { unsolicitedData: false, immediateData: false, maxBurstLength: 1536 } },
];

describe('gathered Data-Out against Tandem', () => {
  let target: RunningTandem;
  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:gathered', lunBytes: 16 * 1024 * 1024 });
  });
  afterAll(async () => target?.stop());

  async function withSession(session: (typeof sessions)[number], fn: (s: IscsiSession) => Promise<void>): Promise<void> {
    const s = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: target.iqn,
      initiatorName: TEST_INITIATOR,
      headerDigest: session.digests,
      dataDigest: session.digests,
      limits: session.limits,
    });
    try {
      await s.waitReady(target.lun);
      expect(s.params.dataDigest).toBe(session.digests);
      await fn(s);
    } finally {
      await s.logout().catch(() => undefined);
    }
  }

  const scattered = sessions.flatMap((s) => [
    { ...s, gather: true, split: false },
    { ...s, gather: true, split: true },
    { ...s, gather: false, split: true },
  ]);

  it.each(scattered)('WRITE SCATTERED lands every write ($name; gathered $gather, ranges in pieces $split)', async (c) => {
    await withSession(c, async (session) => {
      const ws = writes(scattered.indexOf(c) + 1);
      const sent = c.split ? ws.map((w) => ({ lba: w.lba, data: w.data.length > BLOCK ? inBlocks(w.data) : w.data })) : ws;
      await session.writeScattered(target.lun, sent, { gather: c.gather });
      for (const w of ws) expect((await session.read16(target.lun, w.lba, w.data.length / BLOCK)).equals(w.data)).toBe(true);
    });
  });

  it.each(sessions)('WRITE(16) of pieces lands them back to back ($name)', async (c) => {
    await withSession(c, async (session) => {
      const data = Buffer.concat(writes(sessions.indexOf(c) + 20).map((w) => w.data));
      const lba = 20_000;
      await session.write16(target.lun, lba, inBlocks(data));
      expect((await session.read16(target.lun, lba, data.length / BLOCK)).equals(data)).toBe(true);
    });
  });
});
