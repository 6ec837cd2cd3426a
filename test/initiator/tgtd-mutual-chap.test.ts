import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IscsiAuthenticationError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:mutual';
const chap = { user: 'alice', secret: 'alice-secret-12' };
const mutualChap = { user: 'target-bob', secret: 'bob-secret-1234' };

describe.skipIf(skipWithoutTgtd())('mutual CHAP against tgtd', () => {
  let tgtd: RunningTgtd;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 1024 * 1024, chap, mutualChap });
  });

  afterAll(async () => {
    await tgtd?.stop();
  });

  const connect = (mutual: { user: string; secret: string }) =>
    IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR, chap, mutualChap: mutual });

  it('accepts a target that proves the mutual secret', async () => {
    const session = await connect(mutualChap);
    await session.waitReady(1);
    await session.logout();
  });

  it('rejects a target that does not know the secret we expect', async () => {
    const error = await connect({ user: 'target-bob', secret: 'not-bobs-secret' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiAuthenticationError);
  });

  it('rejects a target answering under another name', async () => {
    const error = await connect({ user: 'target-eve', secret: mutualChap.secret }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiAuthenticationError);
  });
});
