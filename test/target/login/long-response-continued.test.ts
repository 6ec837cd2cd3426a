/**
 * During login the initiator takes data segments of at most 8192 bytes (RFC 7143 §6.1), yet
 * every key must be answered (NotUnderstood at least, §6.2): a legal 8192-byte request of
 * unknown keys has a longer answer. It goes in pieces with C=1 and T=0 (§11.13), each next
 * one fetched by an empty Login Request; the last piece carries the transition.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeLoginRequest } from '../../../src/iscsi/pdu/login.js';
import { encodeTextKeys, parseTextKeys, type TextPair } from '../../../src/iscsi/text-keys.js';
import { LoginNegotiator } from '../../../src/target/login.js';
import type { LoginStepReply } from '../../../src/target/login-types.js';
import { IscsiServer } from '../../../src/target/server.js';
import { FakeScsi } from '../transport/helpers/fake-scsi.js';
import { TestInitiator } from '../transport/helpers/test-initiator.js';
import { INITIATOR, makeEnv, request, status, TARGET } from './helpers.js';

const LOGIN_MRDSL = 8192;

/** A full 8192-byte first request: identity, then unknown keys. */
function unknownKeys(initiator = INITIATOR, target = TARGET): { data: Buffer; unknown: string[] } {
  const pairs: TextPair[] = [
    { key: 'InitiatorName', value: initiator },
    { key: 'TargetName', value: target },
  ];
  // Each pair takes key=value and its NUL.
  for (let i = 0, bytes = encodeTextKeys(pairs).length; bytes < LOGIN_MRDSL - 16; i++) {
    pairs.push({ key: `X-v${i}`, value: '1' });
    bytes += `X-v${i}=1`.length + 1;
  }
  const data = encodeTextKeys(pairs);
  expect(data.length).toBeLessThanOrEqual(LOGIN_MRDSL);
  return { data, unknown: pairs.slice(2).map((p) => p.key) };
}

/** Sends `first`, then empty requests while the response is continued: every piece. */
function exchange(login: LoginNegotiator, fields: { csg: number; nsg: number; transit: boolean }, data: Buffer): LoginStepReply[] {
  const pieces = [login.step(request({ ...fields, data }))];
  while (pieces.at(-1)!.continue && pieces.length < 100) pieces.push(login.step(request(fields)));
  return pieces;
}

describe('Login Response longer than 8192 bytes', () => {
  it('comes in pieces of at most 8192 bytes that together answer every key', () => {
    const { data, unknown } = unknownKeys();
    const login = new LoginNegotiator(makeEnv());
    const pieces = exchange(login, { csg: 1, nsg: 1, transit: false }, data);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) {
      expect(status(p)).toBe(0);
      expect(p.data.length).toBeLessThanOrEqual(LOGIN_MRDSL);
      expect(p.transit).toBe(false);
    }
    expect(pieces.slice(0, -1).every((p) => p.continue)).toBe(true);
    expect(pieces.at(-1)!.continue).toBe(false);
    const answered = new Map(parseTextKeys(Buffer.concat(pieces.map((p) => p.data))).map((p) => [p.key, p.value]));
    for (const key of unknown) expect(answered.get(key)).toBe('NotUnderstood');
  });

  it('makes the requested transition with its last piece only', () => {
    const login = new LoginNegotiator(makeEnv());
    const pieces = exchange(login, { csg: 1, nsg: 3, transit: true }, unknownKeys().data);
    expect(pieces.slice(0, -1).map((p) => p.transit)).not.toContain(true);
    expect(pieces.at(-1)).toMatchObject({ transit: true, nsg: 3, continue: false });
    expect(login.done).toBe(true);
  });

  it('is not done while pieces remain', () => {
    const login = new LoginNegotiator(makeEnv());
    const first = login.step(request({ csg: 1, nsg: 3, transit: true, data: unknownKeys().data }));
    expect(first).toMatchObject({ continue: true, transit: false });
    expect(login.done).toBe(false);
  });

  it('refuses a request with keys in place of the empty one that fetches the next piece', () => {
    const login = new LoginNegotiator(makeEnv());
    expect(login.step(request({ csg: 1, nsg: 3, transit: true, data: unknownKeys().data })).continue).toBe(true);
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { MaxBurstLength: '65536' } }));
    expect(status(r)).toBe(0x0200);
    expect(login.failed).toBe(true);
  });

  it('goes over the wire as Login Responses with C=1, the session bound with the last', async () => {
    const scsi = new FakeScsi();
    const server = new IscsiServer({
      targets: [{ config: { iqn: scsi.name, allow: [] }, scsi }],
      portals: [{ host: '127.0.0.1', port: 0 }],
      nopInterval: 0,
      logger: pino({ level: 'silent' }),
    });
    const [addr] = await server.listen();
    const c = await TestInitiator.connect(addr!.port);
    try {
      const send = (data: Buffer): void =>
        c.send(
          encodeLoginRequest(
            { transit: true, continue: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0, isid: Buffer.from([0x40, 0, 0, 0, 0, 1]), tsih: 0, itt: 1, cid: 0, cmdSN: 1, expStatSN: 0 },
            data.length,
          ),
          data,
        );
      send(unknownKeys('iqn.2026-01.test:client', scsi.name).data);
      const pieces = [await c.expect('login-response')];
      while (pieces.at(-1)!.pdu.continue && pieces.length < 100) {
        expect(pieces.at(-1)!.pdu).toMatchObject({ transit: false, statusClass: 0, tsih: 0 });
        send(Buffer.alloc(0));
        pieces.push(await c.expect('login-response'));
      }
      expect(pieces.length).toBeGreaterThan(1);
      for (const p of pieces) expect(p.data.length).toBeLessThanOrEqual(LOGIN_MRDSL);
      const last = pieces.at(-1)!.pdu;
      expect(last).toMatchObject({ transit: true, continue: false, statusClass: 0 });
      expect(server.sessions.get(last.tsih)?.ended).toBe(false);
    } finally {
      c.close();
      await server.close();
    }
  });
});
