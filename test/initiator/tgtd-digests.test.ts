import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IscsiLoginError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:digests';

describe.skipIf(skipWithoutTgtd())('CRC32C digests against tgtd', () => {
  let tgtd: RunningTgtd;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 4 * 1024 * 1024 });
    for (const key of ['HeaderDigest', 'DataDigest']) {
      await tgtd.tgtadm('--op', 'update', '--mode', 'target', '--tid', '1', '-n', key, '-v', 'CRC32C,None');
    }
  });

  afterAll(async () => {
    await tgtd?.stop();
  });

  it('negotiates header and data digests and moves data intact', async () => {
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: tgtd.port,
      targetName: IQN,
      initiatorName: TEST_INITIATOR,
      headerDigest: true,
      dataDigest: true,
    });
    expect(session.params.headerDigest).toBe(true);
    expect(session.params.dataDigest).toBe(true);
    await session.waitReady(1);
    // An odd length per PDU is impossible with 512-byte blocks, so padding is covered by INQUIRY below.
    const data = randomBytes(300 * 1024);
    await session.write16(1, 0, data);
    expect((await session.read16(1, 0, data.length / 512)).equals(data)).toBe(true);
    const inquiry = await session.inquiry(1, { allocationLength: 37 });
    expect(inquiry.length).toBeGreaterThanOrEqual(36);
    await session.logout();
  });

  it('refuses to continue when digests are required and the target answers otherwise', async () => {
    for (const key of ['HeaderDigest', 'DataDigest']) {
      await tgtd.tgtadm('--op', 'update', '--mode', 'target', '--tid', '1', '-n', key, '-v', 'None');
    }
    const error = await IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR, headerDigest: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IscsiLoginError);
  });
});
