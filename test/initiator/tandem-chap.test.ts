import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IscsiAuthenticationError, IscsiLoginError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TEST_INITIATOR } from './tgtd.js';
import { startTandem, type RunningTandem } from './tandem.js';

const chap = { user: 'alice', secret: 'alice-secret-12' };
const mutualChap = { user: 'target-bob', secret: 'bob-secret-1234' };

describe('CHAP against Tandem', () => {
  let target: RunningTandem;

  beforeAll(async () => {
    target = await startTandem({
      iqn: 'iqn.2024-01.io.tandem.test:chap',
      lunBytes: 1024 * 1024,
      chap: `${chap.user}:${chap.secret}`,
      mutualChap: `${mutualChap.user}:${mutualChap.secret}`,
    });
  });

  afterAll(async () => {
    await target?.stop();
  });

  const connect = (options: { chap?: typeof chap; mutualChap?: typeof chap }) =>
    IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: target.iqn, initiatorName: TEST_INITIATOR, ...options });

  it('logs in with one-way CHAP', async () => {
    const session = await connect({ chap });
    await session.waitReady(target.lun);
    await session.logout();
  });

  it('logs in with mutual CHAP and checks the target', async () => {
    const session = await connect({ chap, mutualChap });
    await session.logout();
  });

  it('fails with 0201 for a wrong secret', async () => {
    const error = await connect({ chap: { ...chap, secret: 'wrong-secret-12' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiLoginError);
    expect((error as IscsiLoginError).authenticationFailed).toBe(true);
  });

  it('rejects a target that does not know our mutual secret', async () => {
    const error = await connect({ chap, mutualChap: { ...mutualChap, secret: 'not-bobs-secret' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiAuthenticationError);
  });
});
