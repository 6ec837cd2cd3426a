import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { write16Cdb } from '../../src/initiator/cdb.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR } from './tgtd.js';
import { startTandem, type RunningTandem } from './tandem.js';

describe('read/write against Tandem', () => {
  let target: RunningTandem;
  let session: IscsiSession;

  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:rw', lunBytes: 64 * 1024 * 1024 });
    session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: target.iqn, initiatorName: TEST_INITIATOR });
    await session.waitReady(target.lun);
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await target?.stop();
  });

  it('reports the configured capacity', async () => {
    const cap = await session.readCapacity16(target.lun);
    expect(cap.blockSize).toBe(512);
    expect(cap.blockCount).toBe(BigInt((64 * 1024 * 1024) / 512));
  });

  it('writes 4 MiB with 32 commands in flight and reads it back', async () => {
    const chunk = 128 * 1024;
    const data = randomBytes(4 * 1024 * 1024);
    const writes = [];
    for (let i = 0; i < 32; i++) {
      writes.push(session.scsi(target.lun, write16Cdb((i * chunk) / 512, chunk / 512), { dataOut: data.subarray(i * chunk, (i + 1) * chunk) }));
    }
    expect(session.outstanding).toBe(32);
    await Promise.all(writes);
    const reads = [];
    for (let i = 0; i < 32; i++) reads.push(session.read16(target.lun, (i * chunk) / 512, chunk / 512));
    expect(Buffer.concat(await Promise.all(reads)).equals(data)).toBe(true);
  });

  it('sends a write larger than FirstBurstLength through R2Ts', async () => {
    const size = 4 * 1024 * 1024;
    expect(size).toBeGreaterThan(session.params.firstBurstLength);
    const data = randomBytes(size);
    await session.write16(target.lun, 16384, data);
    expect((await session.read16(target.lun, 16384, size / 512)).equals(data)).toBe(true);
  });
});
