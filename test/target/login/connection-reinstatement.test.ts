/**
 * Connection reinstatement (RFC 7143 §6.3.4: same ISID, the session's TSIH, same CID) with
 * the login negotiator the CLI's server uses: the new connection takes the old one's place
 * in the live session, keeping the session's leading-only parameters. A TSIH naming no live
 * session of this initiator port and target is refused 02 0A "session does not exist".
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { IscsiServer } from '../../../src/target/server.js';
import { FakeScsi } from '../transport/helpers/fake-scsi.js';
import { TestInitiator } from '../transport/helpers/test-initiator.js';

let server: IscsiServer | undefined;
const open: TestInitiator[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function start(): Promise<number> {
  const scsi = new FakeScsi();
  const other = Object.assign(new FakeScsi(), { name: 'iqn.2026-01.test:other' });
  server = new IscsiServer({
    targets: [
      { config: { iqn: scsi.name, allow: [] }, scsi },
      { config: { iqn: other.name, allow: [] }, scsi: other },
    ],
    portals: [{ host: '127.0.0.1', port: 0 }],
    // No negotiatorFactory: the real LoginNegotiator.
    nopInterval: 0,
    logger: pino({ level: 'silent' }),
  });
  const [addr] = await server.listen();
  return addr!.port;
}

async function connect(port: number): Promise<TestInitiator> {
  const c = await TestInitiator.connect(port);
  open.push(c);
  return c;
}

const ISID = Buffer.from([0x40, 0, 0, 0, 0, 7]);

describe('connection reinstatement with the real login negotiator', () => {
  it('a live session takes the new connection in place of the old one', async () => {
    const port = await start();
    const first = await connect(port);
    const ok = await first.login({ isid: ISID, keys: ['InitialR2T=No', 'MaxBurstLength=65536'] });
    expect(ok.pdu.statusClass).toBe(0);
    const tsih = ok.pdu.tsih;
    expect(tsih).not.toBe(0);

    // The host lost its link and reinstates the connection: same ISID, TSIH and CID 0.
    const again = await connect(port);
    const r = await again.login({ isid: ISID, tsih });
    expect([r.pdu.statusClass, r.pdu.statusDetail]).toEqual([0, 0]);
    expect(r.pdu.tsih).toBe(tsih);
    expect(await first.waitClosed()).toBe(true);
    const ping = again.nopOut(Buffer.alloc(0));
    expect((await again.expect('nop-in')).pdu.itt).toBe(ping);
    // Leading-only keys were not offered again: the session's values stay in force.
    expect(server!.sessions.get(tsih)?.params).toMatchObject({ initialR2T: false, maxBurstLength: 65536 });
  });

  it('an unknown TSIH is refused 02 0A', async () => {
    const port = await start();
    const c = await connect(port);
    const r = await c.login({ isid: ISID, tsih: 0x1234 });
    expect([r.pdu.statusClass, r.pdu.statusDetail]).toEqual([2, 0x0a]);
  });

  it.each([
    ['another ISID', { isid: Buffer.from([0x40, 0, 0, 0, 0, 8]) }],
    ['another initiator', { isid: ISID, initiator: 'iqn.2026-01.test:intruder' }],
    ['another target', { isid: ISID, target: 'iqn.2026-01.test:other' }],
  ])('the TSIH of a live session is refused 02 0A from %s', async (_what, who) => {
    const port = await start();
    const first = await connect(port);
    const tsih = (await first.login({ isid: ISID })).pdu.tsih;
    const c = await connect(port);
    const r = await c.login({ ...who, tsih });
    expect([r.pdu.statusClass, r.pdu.statusDetail]).toEqual([2, 0x0a]);
    expect(server!.sessions.get(tsih)?.ended).toBe(false);
  });
});
