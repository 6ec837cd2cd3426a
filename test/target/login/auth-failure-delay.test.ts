/**
 * Failed CHAP authentication is rate-limited: the 02 01 response to a wrong secret is held
 * back, longer after each failure from the same initiator name or address, up to a cap, and
 * forgotten after a while; the sources remembered are bounded. The login phase runs the real
 * LoginNegotiator; the clock and timers are vitest's fake ones.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeLoginResponse, type LoginRequestPdu } from '../../../src/iscsi/pdu/login.js';
import { AuthFailureThrottle, authFailureSources } from '../../../src/target/auth-failure-throttle.js';
import { LoginPhase, type LoginHost } from '../../../src/target/login-phase.js';
import { LoginNegotiator } from '../../../src/target/login.js';
import { captureLogger, INITIATOR, keys, makeEnv, makeTarget, md5ChapResponse, TARGET } from './helpers.js';
import { parseTextKeys } from '../../../src/iscsi/text-keys.js';
import { IscsiServer } from '../../../src/target/server.js';
import { FakeScsi } from '../transport/helpers/fake-scsi.js';
import { TestInitiator } from '../transport/helpers/test-initiator.js';

describe('AuthFailureThrottle', () => {
  it('doubles the hold per failure of a source up to the cap', () => {
    const t = new AuthFailureThrottle({ firstDelayMs: 500, maxDelayMs: 4000, now: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => t.failed(['addr:10.0.0.1']))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    // Another source starts from the first step.
    expect(t.failed(['addr:10.0.0.2'])).toBe(500);
  });

  it('holds for the longest any of the sources has earned, and counts against each', () => {
    const t = new AuthFailureThrottle({ firstDelayMs: 100, maxDelayMs: 10_000, now: () => 0 });
    t.failed(['addr:10.0.0.1']);
    t.failed(['addr:10.0.0.1']);
    // A fresh initiator name from a failing address is held as long as the address.
    expect(t.failed(['name:iqn.x', 'addr:10.0.0.1'])).toBe(400);
    expect(t.failures('name:iqn.x')).toBe(1);
    // And the name, from another address, keeps its own count.
    expect(t.failed(['name:iqn.x', 'addr:10.0.0.9'])).toBe(200);
  });

  it('forgets a source with no failure for forgetAfterMs', () => {
    let now = 0;
    const t = new AuthFailureThrottle({ firstDelayMs: 500, maxDelayMs: 4000, forgetAfterMs: 60_000, now: () => now });
    t.failed(['addr:a']);
    t.failed(['addr:a']);
    now = 59_999;
    expect(t.failed(['addr:a'])).toBe(2000);
    now += 60_000;
    expect(t.failures('addr:a')).toBe(0);
    expect(t.failed(['addr:a'])).toBe(500);
  });

  it('remembers at most maxSources, forgetting the least recently failing first', () => {
    let now = 0;
    const t = new AuthFailureThrottle({ maxSources: 3, now: () => now });
    for (let i = 0; i < 100; i++) {
      now++;
      // An attacker inventing names at one address: the address stays remembered.
      t.failed([`name:iqn.invented-${i}`, 'addr:10.6.6.6']);
      expect(t.size).toBeLessThanOrEqual(3);
    }
    expect(t.failures('addr:10.6.6.6')).toBe(100);
    expect(t.failures('name:iqn.invented-0')).toBe(0);
  });

  it('drops forgotten sources as new failures come, not only when full', () => {
    let now = 0;
    const t = new AuthFailureThrottle({ forgetAfterMs: 1000, now: () => now });
    for (let i = 0; i < 50; i++) t.failed([`addr:${i}`]);
    now = 5000;
    t.failed(['addr:new']);
    expect(t.size).toBe(1);
  });

  it('names compare without case; empty sources are not counted', () => {
    expect(authFailureSources('IQN.2024-01.Org:X', '10.0.0.1')).toEqual(['name:iqn.2024-01.org:x', 'addr:10.0.0.1']);
    expect(authFailureSources(undefined, undefined)).toEqual([]);
    const t = new AuthFailureThrottle({ now: () => 0 });
    expect(t.failed([])).toBe(0);
  });
});

/** One connection's login phase over the real negotiator, its sent PDUs recorded. */
function connection(throttle: AuthFailureThrottle, peerHost = '192.0.2.7') {
  const sent: Array<{ header: Buffer; data: Buffer }> = [];
  const finished: boolean[] = [];
  let statSN = 0;
  const host: LoginHost = {
    send: (header, data) => void sent.push({ header, data: data ?? Buffer.alloc(0) }),
    takeStatSN: () => statSN++,
    precheck: () => undefined,
    bind: () => ({ ok: true, tsih: 1 }),
    finished: (ok) => void finished.push(ok),
    authenticationFailed: (name) => throttle.failed(authFailureSources(name, peerHost)),
  };
  const env = makeEnv([makeTarget({ chap: { user: 'alice', secret: 'right-secret-1' } })]);
  const phase = new LoginPhase(host, () => new LoginNegotiator(env, { logger: captureLogger().logger }), 16);
  let itt = 0;
  const request = (fields: Partial<LoginRequestPdu>, k: Record<string, string>): void => {
    const pdu: LoginRequestPdu = {
      transit: false,
      continue: false,
      csg: 0,
      nsg: 1,
      versionMax: 0,
      versionMin: 0,
      isid: Buffer.from([0x80, 0, 0, 0, 0, 1]),
      tsih: 0,
      itt: itt++,
      cid: 0,
      cmdSN: 1,
      expStatSN: 0,
      ...fields,
    };
    phase.handle(pdu, keys(k));
  };
  const lastKeys = (): Record<string, string> => Object.fromEntries(parseTextKeys(sent.at(-1)!.data).map((p) => [p.key, p.value]));
  /** Runs a CHAP login up to the response; the last step's answer may be held back. */
  const chapLogin = (secret: string): void => {
    request({ transit: true }, { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'CHAP' });
    request({}, { CHAP_A: '5' });
    const c = lastKeys();
    request({ transit: true }, { CHAP_N: 'alice', CHAP_R: md5ChapResponse(c.CHAP_I!, secret, c.CHAP_C!) });
  };
  const status = (): [number, number] => {
    const r = decodeLoginResponse(sent.at(-1)!.header);
    return [r.statusClass, r.statusDetail];
  };
  return { sent, finished, phase, chapLogin, status };
}

describe('a failed CHAP login', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gets its 02 01 response only once the hold has passed, longer after each failure', () => {
    const throttle = new AuthFailureThrottle({ firstDelayMs: 500, maxDelayMs: 4000, now: () => Date.now() });
    const holds: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const c = connection(throttle);
      c.chapLogin('wrong-secret-1');
      // The two security-stage answers went out; the failure waits.
      expect(c.sent).toHaveLength(2);
      expect(c.finished).toEqual([]);
      const start = Date.now();
      while (c.sent.length === 2) vi.advanceTimersByTime(100);
      holds.push(Date.now() - start);
      expect(c.status()).toEqual([2, 1]);
      expect(c.finished).toEqual([false]);
    }
    expect(holds).toEqual([500, 1000, 2000, 4000, 4000]);
  });

  it('takes nothing more from the initiator while its failure is held', () => {
    const throttle = new AuthFailureThrottle({ now: () => Date.now() });
    const c = connection(throttle);
    c.chapLogin('wrong-secret-1');
    c.phase.handle(
      { transit: true, continue: false, csg: 0, nsg: 1, versionMax: 0, versionMin: 0, isid: Buffer.from([0x80, 0, 0, 0, 0, 1]), tsih: 0, itt: 9, cid: 0, cmdSN: 1, expStatSN: 0 },
      keys({ CHAP_N: 'alice', CHAP_R: '0x00' }),
    );
    expect(c.sent).toHaveLength(2);
    vi.runAllTimers();
    expect(c.sent).toHaveLength(3);
    expect(c.status()).toEqual([2, 1]);
  });

  it('is forgotten after a quiet while', () => {
    const throttle = new AuthFailureThrottle({ firstDelayMs: 500, forgetAfterMs: 60_000, now: () => Date.now() });
    for (let i = 0; i < 3; i++) {
      connection(throttle).chapLogin('wrong-secret-1');
      vi.runAllTimers();
    }
    vi.advanceTimersByTime(60_000);
    const c = connection(throttle);
    c.chapLogin('wrong-secret-1');
    vi.advanceTimersByTime(499);
    expect(c.sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(c.status()).toEqual([2, 1]);
  });

  it('counts against its address whatever initiator name it gives', () => {
    const throttle = new AuthFailureThrottle({ firstDelayMs: 500, now: () => Date.now() });
    connection(throttle, '198.51.100.1').chapLogin('wrong-secret-1');
    vi.runAllTimers();
    expect(throttle.failures('addr:198.51.100.1')).toBe(1);
    expect(throttle.failures(`name:${INITIATOR}`)).toBe(1);
  });

  it('a successful login is not held, even after failures', () => {
    const throttle = new AuthFailureThrottle({ now: () => Date.now() });
    connection(throttle).chapLogin('wrong-secret-1');
    vi.runAllTimers();
    const c = connection(throttle);
    c.chapLogin('right-secret-1');
    expect(c.sent).toHaveLength(3);
    expect(c.status()).toEqual([0, 0]);
  });

  it('a connection closed during the hold sends nothing more', () => {
    const throttle = new AuthFailureThrottle({ now: () => Date.now() });
    const c = connection(throttle);
    c.chapLogin('wrong-secret-1');
    c.phase.close();
    vi.runAllTimers();
    expect(c.sent).toHaveLength(2);
    expect(c.finished).toEqual([]);
  });
});

describe('the server holds back failed authentications', () => {
  it('counts a connection\'s failure against its initiator name and address, and holds its response', async () => {
    const scsi = new FakeScsi();
    // A hold far longer than the test: the response must not have come when it looks.
    const throttle = new AuthFailureThrottle({ firstDelayMs: 600_000, maxDelayMs: 600_000 });
    const server = new IscsiServer({
      targets: [{ config: { iqn: scsi.name, allow: [], chap: { user: 'alice', secret: 'right-secret-1' } }, scsi }],
      portals: [{ host: '127.0.0.1', port: 0 }],
      nopInterval: 0,
      authFailureThrottle: throttle,
      logger: pino({ level: 'silent' }),
    });
    const [addr] = await server.listen();
    const c = await TestInitiator.connect(addr!.port);
    try {
      // Skipping the security stage of a CHAP target fails authentication (02 01).
      void c.login({ initiator: 'iqn.2026-01.test:Guesser' }).catch(() => undefined);
      await vi.waitFor(() => expect(throttle.failures('addr:127.0.0.1')).toBe(1));
      expect(throttle.failures('name:iqn.2026-01.test:guesser')).toBe(1);
      expect(await c.next(200)).toBeUndefined();
    } finally {
      await server.close();
      c.close();
    }
  });
});
