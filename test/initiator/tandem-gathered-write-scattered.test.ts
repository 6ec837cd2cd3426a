/**
 * A WRITE SCATTERED whose Data-Out is a gather list (the writes' own buffers after the
 * descriptors) reaches Tandem intact however the session cuts it into PDUs: immediate data,
 * unsolicited Data-Out and R2T sequences whose segments start and end inside pieces, with
 * and without CRC32C data digests over pieces sent back to back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('gathered WRITE SCATTERED against Tandem', () => {
  let target: RunningTandem;
  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:gathered', lunBytes: 16 * 1024 * 1024 });
  });
  afterAll(async () => target?.stop());

  const sessions = [
    { name: 'all immediate', digests: false, limits: {} },
    { name: 'small bursts, unsolicited Data-Out, digests', digests: true, limits: { firstBurstLength: 1536, maxBurstLength: 2560 } },
    { name: 'R2T only, digests', digests: true, limits: { unsolicitedData: false, immediateData: false, maxBurstLength: 1536 } },
  ];

  it.each(sessions)('lands every write ($name)', async ({ digests, limits }) => {
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: target.iqn,
      initiatorName: TEST_INITIATOR,
      headerDigest: digests,
      dataDigest: digests,
      limits,
    });
    try {
      await session.waitReady(target.lun);
      expect(session.params.dataDigest).toBe(digests);
      const seed = sessions.findIndex((s) => s.limits === limits) + 1;
      const ws = writes(seed);
      await session.writeScattered(target.lun, ws, { gather: true });
      for (const w of ws) expect((await session.read16(target.lun, w.lba, w.data.length / BLOCK)).equals(w.data)).toBe(true);
    } finally {
      await session.logout().catch(() => undefined);
    }
  });
});
