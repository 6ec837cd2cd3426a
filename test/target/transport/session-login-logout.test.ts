import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('login and logout over TCP', () => {
  it('assigns a TSIH on the final login response, then logs out and tells the SCSI layer', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    const r = await c.login();
    expect(r.pdu.statusClass).toBe(0);
    expect(r.pdu.transit).toBe(true);
    expect(r.pdu.nsg).toBe(3);
    expect(r.pdu.tsih).not.toBe(0);
    expect(r.pdu.expCmdSN).toBe(1);
    expect(srv.scsi.events).toContain('seen 400000000001');
    const itt = c.logout(0);
    const lo = await c.expect('logout-response');
    expect(lo.pdu.itt).toBe(itt);
    expect(lo.pdu.response).toBe(0);
    expect(lo.pdu.statSN).toBe(r.pdu.statSN + 1);
    expect(await c.waitClosed()).toBe(true);
    expect(srv.scsi.events).toContain('lost 400000000001');
    expect(srv.server.sessions.size).toBe(0);
  });

  it('refuses an unknown target with the negotiator status and closes', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    const r = await c.login({ target: 'iqn.2026-01.test:nope' });
    expect([r.pdu.statusClass, r.pdu.statusDetail]).toEqual([2, 3]);
    expect(await c.waitClosed()).toBe(true);
  });

  it('answers a login with an unknown TSIH with "session does not exist"', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    const { encodeLoginRequest } = await import('../../../src/iscsi/pdu/login.js');
    c.send(
      encodeLoginRequest(
        { transit: true, continue: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0, isid: Buffer.alloc(6, 1), tsih: 77, itt: 1, cid: 0, cmdSN: 1, expStatSN: 0 },
        0,
      ),
    );
    const r = await c.expect('login-response');
    expect([r.pdu.statusClass, r.pdu.statusDetail]).toEqual([2, 0x0a]);
  });
});
