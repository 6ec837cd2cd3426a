import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:nop';

describe.skipIf(skipWithoutTgtd())('NOP handling against tgtd', () => {
  let tgtd: RunningTgtd;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 1024 * 1024 });
  });

  afterAll(async () => {
    await tgtd?.stop();
  });

  const connect = (nopIntervalMs: number) =>
    IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR, timeouts: { nopIntervalMs } });

  it('answers a ping with a round-trip time', async () => {
    const session = await connect(0);
    // In milliseconds: more than nothing, and within the wall time the call took.
    const started = performance.now();
    const rtt = await session.ping();
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThanOrEqual(performance.now() - started);
    await session.logout();
  });

  it('pings an idle target on its own', async () => {
    const session = await connect(200);
    const before = session.stats.pdusSent;
    // Each keepalive is one NOP-Out answered by one NOP-In; wait for two, not a fixed time.
    await vi.waitFor(() => expect(session.stats.pdusSent - before).toBeGreaterThanOrEqual(2), { timeout: 15_000, interval: 50 });
    expect(session.isOpen).toBe(true);
    await session.logout();
  });

  it("answers the target's NOP-In pings, so the target keeps the connection", async () => {
    await tgtd.tgtadm('--op', 'update', '--mode', 'target', '--tid', '1', '-n', 'nop_interval', '-v', '1');
    await tgtd.tgtadm('--op', 'update', '--mode', 'target', '--tid', '1', '-n', 'nop_count', '-v', '1');
    try {
      const session = await connect(0);
      const before = { ...session.stats };
      // tgtd pings every second and drops a connection that misses one: wait for two pings
      // (each answered as it arrives, so sent keeps up with received), not a fixed time.
      await vi.waitFor(() => expect(session.stats.pdusReceived - before.pdusReceived).toBeGreaterThanOrEqual(2), { timeout: 15_000, interval: 50 });
      expect(session.stats.pdusSent - before.pdusSent).toBe(session.stats.pdusReceived - before.pdusReceived);
      expect(session.isOpen).toBe(true);
      await session.waitReady(1);
      await session.logout();
    } finally {
      await tgtd.tgtadm('--op', 'update', '--mode', 'target', '--tid', '1', '-n', 'nop_interval', '-v', '0');
    }
  });
});
