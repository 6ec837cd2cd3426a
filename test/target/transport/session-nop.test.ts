import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('NOP-Out / NOP-In', () => {
  it('echoes an initiator ping with its ITT and data, advancing StatSN', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    const login = await c.login();
    const itt = c.nopOut(Buffer.from('ping-data'));
    const r = await c.expect('nop-in');
    expect(r.pdu.itt).toBe(itt);
    expect(r.pdu.ttt).toBe(0xffffffff);
    expect(r.data.toString()).toBe('ping-data');
    expect(r.pdu.statSN).toBe(login.pdu.statSN + 1);
    c.close();
  });

  it('pings the initiator and keeps the connection while it answers', async () => {
    srv = await startTestServer({ nopInterval: 0.1, nopTimeout: 0.3 });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    for (let i = 0; i < 3; i++) {
      const ping = await c.expect('nop-in', 1000);
      expect(ping.pdu.itt).toBe(0xffffffff);
      expect(ping.pdu.ttt).not.toBe(0xffffffff);
      c.nopOut(Buffer.alloc(0), { itt: 0xffffffff, ttt: ping.pdu.ttt });
    }
    expect(c.closed).toBe(false);
    c.close();
  });

  it('drops a connection whose initiator does not answer our ping', async () => {
    srv = await startTestServer({ nopInterval: 0.1, nopTimeout: 0.2 });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    await c.expect('nop-in', 1000);
    expect(await c.waitClosed(1500)).toBe(true);
    expect(srv.scsi.events.some((e) => e.startsWith('lost'))).toBe(true);
  });
});
