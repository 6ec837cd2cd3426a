import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { read16Cdb } from '../../src/initiator/cdb.js';
import { CommandAbortedError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:tmf';

describe.skipIf(skipWithoutTgtd())('task management against tgtd', () => {
  let tgtd: RunningTgtd;
  let session: IscsiSession;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 4 * 1024 * 1024 });
    session = await IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR });
    await session.waitReady(1);
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await tgtd?.stop();
  });

  it('reports a finished command as not found', async () => {
    const handle = session.startCommand({ lun: 1, cdb: read16Cdb(0, 1), dataInLength: 512 });
    await handle.result;
    expect(await session.abortTask(handle.itt)).toBe('not-found');
  });

  it('aborts a command whose signal fires before it is sent', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await session.command({ lun: 1, cdb: read16Cdb(0, 1), dataInLength: 512, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandAbortedError);
    expect((error as CommandAbortedError).maybeExecuted).toBe(false);
  });

  it('resets the LUN and reports the unit attention that follows', async () => {
    await session.lunReset(1);
    const r = await session.command({ lun: 1, cdb: Buffer.alloc(6) });
    expect(r.status).toBe(0x02);
    expect(r.sense).toMatchObject({ key: 0x6, asc: 0x29 });
    await session.waitReady(1);
  });
});
