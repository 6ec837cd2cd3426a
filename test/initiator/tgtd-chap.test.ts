import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IscsiLoginError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:chap';
const chap = { user: 'alice', secret: 'alice-secret-12' };

describe.skipIf(skipWithoutTgtd())('one-way CHAP against tgtd', () => {
  let tgtd: RunningTgtd;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 1024 * 1024, chap });
  });

  afterAll(async () => {
    await tgtd?.stop();
  });

  const connect = (credentials?: { user: string; secret: string }) =>
    IscsiSession.connect({ host: '127.0.0.1', port: tgtd.port, targetName: IQN, initiatorName: TEST_INITIATOR, ...(credentials ? { chap: credentials } : {}) });

  it('logs in with the right secret and runs a command', async () => {
    const session = await connect(chap);
    await session.waitReady(1);
    await session.logout();
  });

  it('fails with authentication failure (0201) for a wrong secret', async () => {
    const error = await connect({ user: 'alice', secret: 'wrong-secret-12' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiLoginError);
    expect((error as IscsiLoginError).statusClass).toBe(2);
    expect((error as IscsiLoginError).statusDetail).toBe(1);
    expect((error as IscsiLoginError).authenticationFailed).toBe(true);
  });

  it('is refused without credentials', async () => {
    const error = await connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiLoginError);
    expect((error as IscsiLoginError).statusClass).toBe(2);
  });
});
