import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { read16Cdb } from '../../src/initiator/cdb.js';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR } from './tgtd.js';
import { startTandem, type RunningTandem } from './tandem.js';

describe('NOP and logout against Tandem', () => {
  let target: RunningTandem;

  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:noplogout', lunBytes: 4 * 1024 * 1024 });
  });

  afterAll(async () => {
    await target?.stop();
  });

  const connect = (nopIntervalMs: number) =>
    IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: target.iqn, initiatorName: TEST_INITIATOR, timeouts: { nopIntervalMs } });

  it('answers pings, including keepalives on an idle session', async () => {
    const session = await connect(200);
    // The round trip is in milliseconds: within the wall time the call took (not a speed limit).
    const started = performance.now();
    const rtt = await session.ping();
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThanOrEqual(performance.now() - started);
    // Keepalives every 200 ms of silence, each answered: wait for two answers, not a fixed time.
    const before = session.stats.pdusReceived;
    await vi.waitFor(() => expect(session.stats.pdusReceived - before).toBeGreaterThanOrEqual(2), { timeout: 15_000, interval: 50 });
    expect(session.isOpen).toBe(true);
    await session.logout();
  });

  it('drains commands in flight, then logs out cleanly', async () => {
    const session = await connect(0);
    await session.waitReady(target.lun);
    const reads = Array.from({ length: 8 }, (_, i) => session.command({ lun: target.lun, cdb: read16Cdb(i * 128, 128), dataInLength: 128 * 512 }));
    await session.logout();
    for (const r of await Promise.all(reads)) expect(r.status).toBe(0);
    expect(await session.closed).toBeUndefined();
    await expect(session.command({ lun: target.lun, cdb: read16Cdb(0, 1), dataInLength: 512 })).rejects.toBeInstanceOf(IscsiConnectionError);
  });
});
