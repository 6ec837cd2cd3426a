import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { read16Cdb } from '../../src/initiator/cdb.js';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:logout';

describe.skipIf(skipWithoutTgtd())('logout against tgtd', () => {
  let tgtd: RunningTgtd;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 4 * 1024 * 1024 });
  });

  afterAll(async () => {
    await tgtd?.stop();
  });

  it('lets commands in flight finish, then closes cleanly', async () => {
    const session = await IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR });
    await session.waitReady(1);
    const reads = Array.from({ length: 8 }, (_, i) => session.command({ lun: 1, cdb: read16Cdb(i * 128, 128), dataInLength: 128 * 512 }));
    await session.logout();
    for (const r of await Promise.all(reads)) expect(r.status).toBe(0);
    expect(await session.closed).toBeUndefined();
    expect(session.isOpen).toBe(false);
    const late = await session.command({ lun: 1, cdb: read16Cdb(0, 1), dataInLength: 512 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(IscsiConnectionError);
  });

  it('frees the session at the target', async () => {
    const session = await IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR });
    const shown = await tgtd.tgtadm('--op', 'show', '--mode', 'target');
    expect(shown).toContain(TEST_INITIATOR);
    await session.logout();
    // tgtd frees the session after the logout response: wait for it (bounded), not a fixed time.
    await vi.waitFor(async () => expect(await tgtd.tgtadm('--op', 'show', '--mode', 'target')).not.toContain(TEST_INITIATOR), { timeout: 10_000, interval: 50 });
  });
});
