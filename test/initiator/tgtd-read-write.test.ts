import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { write16Cdb } from '../../src/initiator/cdb.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:rw';

describe.skipIf(skipWithoutTgtd())('read/write against tgtd', () => {
  let tgtd: RunningTgtd;
  let session: IscsiSession;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 64 * 1024 * 1024 });
    session = await IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR });
    await session.waitReady(1);
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await tgtd?.stop();
  });

  it('reports the capacity of the backing file', async () => {
    const cap = await session.readCapacity16(1);
    expect(cap.blockSize).toBe(512);
    expect(cap.blockCount).toBe(BigInt((64 * 1024 * 1024) / 512));
  });

  it('writes 4 MiB with 32 commands in flight and reads it back', async () => {
    const chunk = 128 * 1024;
    const data = randomBytes(4 * 1024 * 1024);
    const writes = [];
    for (let i = 0; i < 32; i++) {
      writes.push(session.scsi(1, write16Cdb((i * chunk) / 512, chunk / 512), { dataOut: data.subarray(i * chunk, (i + 1) * chunk) }));
    }
    // All 32 are submitted at once, none waits for another.
    expect(session.outstanding).toBe(32);
    await Promise.all(writes);
    const reads = [];
    for (let i = 0; i < 32; i++) reads.push(session.read16(1, (i * chunk) / 512, chunk / 512));
    const back = Buffer.concat(await Promise.all(reads));
    expect(back.equals(data)).toBe(true);
  });

  it('sends a write larger than FirstBurstLength through R2Ts', async () => {
    const size = 2 * 1024 * 1024;
    expect(size).toBeGreaterThan(session.params.firstBurstLength);
    expect(size).toBeGreaterThan(session.params.maxBurstLength);
    const data = randomBytes(size);
    const before = session.stats.pdusReceived;
    await session.write16(1, 8192, data);
    // One R2T per MaxBurstLength after the first burst, plus the response.
    const r2ts = Math.ceil((size - session.params.firstBurstLength) / session.params.maxBurstLength);
    expect(session.stats.pdusReceived - before).toBeGreaterThanOrEqual(r2ts + 1);
    expect((await session.read16(1, 8192, size / 512)).equals(data)).toBe(true);
  });

  it('counts wire bytes both ways', async () => {
    const before = { ...session.stats };
    await session.read16(1, 0, 64);
    expect(session.stats.bytesReceived - before.bytesReceived).toBeGreaterThanOrEqual(64 * 512 + 48);
    expect(session.stats.bytesSent - before.bytesSent).toBe(48);
  });
});
