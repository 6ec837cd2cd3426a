import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { read16Cdb } from '../../src/initiator/cdb.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR } from './tgtd.js';
import { startTandem, type RunningTandem } from './tandem.js';

describe('task management against Tandem', () => {
  let target: RunningTandem;
  let session: IscsiSession;

  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:tmf', lunBytes: 4 * 1024 * 1024 });
    session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: target.iqn, initiatorName: TEST_INITIATOR });
    await session.waitReady(target.lun);
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await target?.stop();
  });

  it('reports a finished command as not found', async () => {
    const handle = session.startCommand({ lun: target.lun, cdb: read16Cdb(0, 1), dataInLength: 512 });
    await handle.result;
    expect(await session.abortTask(handle.itt)).toBe('not-found');
  });

  it('resets the LUN and keeps working', async () => {
    await session.lunReset(target.lun);
    await session.waitReady(target.lun);
    expect((await session.read16(target.lun, 0, 1)).length).toBe(512);
  });
});
