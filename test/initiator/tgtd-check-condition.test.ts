import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScsiCheckConditionError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:cc';

describe.skipIf(skipWithoutTgtd())('CHECK CONDITION from tgtd', () => {
  let tgtd: RunningTgtd;
  let session: IscsiSession;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 1024 * 1024 });
    session = await IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR });
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await tgtd?.stop();
  });

  it('reports the power-on unit attention, then clears it', async () => {
    const first = await session.command({ lun: 1, cdb: Buffer.alloc(6) });
    expect(first.status).toBe(0x02);
    expect(first.sense).toMatchObject({ key: 0x6, asc: 0x29 });
    await session.waitReady(1);
  });

  it('throws ScsiCheckConditionError with LBA OUT OF RANGE for a read past the end', async () => {
    const error = await session.read16(1, 4096, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScsiCheckConditionError);
    expect((error as ScsiCheckConditionError).sense).toMatchObject({ key: 0x5, asc: 0x21, ascq: 0 });
  });

  it('returns the status without throwing from command()', async () => {
    const cdb = Buffer.alloc(16);
    cdb[0] = 0xfe; // no such opcode in tgt
    const r = await session.command({ lun: 1, cdb });
    expect(r.status).toBe(0x02);
    expect(r.sense?.key).toBe(0x5);
    expect(r.senseData?.length).toBeGreaterThan(0);
  });
});
