/**
 * A bidirectional command (W and R bits, an Expected Bidirectional Read Data Length AHS)
 * that returns no Data-In: Tandem's target sends none for any command that writes, so it
 * reports the whole bidirectional read length as its Bidirectional Read Residual Underflow
 * (RFC 7143 §11.4.5.1, the u bit and §11.4.9). Without it, an initiator that checks every
 * byte of a GOOD read arrived (ours) takes the answer for lost Data-In and drops the
 * connection: the live fuzz test's CDB path did, on a WRITE sent with a read length.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { write16Cdb } from '../../src/initiator/cdb.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { TEST_INITIATOR } from './tgtd.js';
import { startTandem, type RunningTandem } from './tandem.js';

describe('a bidirectional command against Tandem', () => {
  let target: RunningTandem;
  let session: IscsiSession;

  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:bidi', lunBytes: 4 * 1024 * 1024 });
    session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: target.iqn, initiatorName: TEST_INITIATOR });
    await session.waitReady(target.lun);
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await target?.stop();
  });

  it.each([512, 54_928])('a WRITE with a bidirectional read length of %i completes GOOD, its read length all residual, and the session stays up', async (readLength) => {
    const data = Buffer.alloc(512, 0x5a);
    const result = await session.command({ lun: target.lun, cdb: write16Cdb(8, 1), dataOut: data, dataInLength: readLength });
    expect(result.status).toBe(ScsiStatus.GOOD);
    expect(session.isOpen).toBe(true);
    expect((await session.read16(target.lun, 8, 1)).equals(data)).toBe(true);
  });
});

describe('a command whose CDB writes, sent with a read length only, against Tandem', () => {
  let target: RunningTandem;
  let session: IscsiSession;

  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:mismatch', lunBytes: 4 * 1024 * 1024 });
    session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: target.iqn, initiatorName: TEST_INITIATOR });
    await session.waitReady(target.lun);
  });

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await target?.stop();
  });

  // The live fuzz test's CDB 0a000000e4e8: WRITE(6) of 228 blocks, R bit and 512 bytes expected.
  it('is answered (residual overflow, no Data-In) without the session taking it for lost Data-In', async () => {
    const result = await session.command({ lun: target.lun, cdb: Buffer.from('0a000000e4e8', 'hex'), dataInLength: 512 });
    expect(typeof result.status).toBe('number');
    expect(session.isOpen).toBe(true);
    expect((await session.readCapacity16(target.lun)).blockSize).toBe(512);
  });
});
