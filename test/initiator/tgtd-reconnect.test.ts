import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { read16Cdb, write16Cdb } from '../../src/initiator/cdb.js';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { ReconnectingSession } from '../../src/initiator/reconnecting-session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:reconnect';

describe.skipIf(skipWithoutTgtd())('ReconnectingSession against tgtd', () => {
  let tgtd: RunningTgtd;
  let session: ReconnectingSession;
  const data = randomBytes(1024 * 1024);

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 4 * 1024 * 1024 });
    session = await ReconnectingSession.connect({
      host: '127.0.0.1',
      port: tgtd.port,
      targetName: IQN,
      initiatorName: TEST_INITIATOR,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    await session.waitReady(1);
    await session.write16(1, 0, data);
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await tgtd?.stop();
  });

  it('re-issues reads lost with the connection and returns correct data', async () => {
    const before = session.reconnects;
    const reads = Array.from({ length: 8 }, (_, i) => session.command({ lun: 1, cdb: read16Cdb(i * 256, 256), dataInLength: 256 * 512 }));
    session.current!.destroy('test: connection cut');
    const results = await Promise.all(reads);
    expect(session.reconnects).toBe(before + 1);
    expect(Buffer.concat(results.map((r) => r.dataIn!)).equals(data)).toBe(true);
  });

  it('reports a write lost in flight as maybe executed instead of re-issuing it', async () => {
    const write = session.command({ lun: 1, cdb: write16Cdb(4096, 8), dataOut: Buffer.alloc(4096, 7) });
    session.current!.destroy('test: connection cut');
    const error = await write.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiConnectionError);
    expect((error as IscsiConnectionError).maybeExecuted).toBe(true);
  });

  it('re-issues a write the caller marks idempotent', async () => {
    await session.waitReady(1);
    const write = session.command({ lun: 1, cdb: write16Cdb(4096, 8), dataOut: Buffer.alloc(4096, 9), idempotent: true });
    session.current!.destroy('test: connection cut');
    expect((await write).status).toBe(0);
    expect((await session.read16(1, 4096, 8)).equals(Buffer.alloc(4096, 9))).toBe(true);
  });

  it('keeps counting wire bytes across connections', async () => {
    await session.waitReady(1);
    const before = session.stats.bytesReceived;
    await session.read16(1, 0, 8);
    session.current!.destroy('test: connection cut');
    await session.read16(1, 0, 8);
    expect(session.stats.bytesReceived - before).toBeGreaterThanOrEqual(2 * 8 * 512);
  });
});
