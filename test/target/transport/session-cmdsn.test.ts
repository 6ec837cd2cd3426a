import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

const TUR = Buffer.alloc(6);

describe('CmdSN window', () => {
  it('silently drops a command above MaxCmdSN, then serves one at ExpCmdSN', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    const login = await c.login();
    c.command(TUR, { expectedLength: 0, cmdSN: (login.pdu.maxCmdSN + 1) >>> 0 });
    expect(await c.next(300)).toBeUndefined();
    const itt = c.command(TUR, { expectedLength: 0 });
    const r = await c.expect('scsi-response');
    expect(r.pdu.itt).toBe(itt);
    expect(r.pdu.expCmdSN).toBe(2);
    c.close();
  });

  it('silently drops a command below ExpCmdSN', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(TUR, { expectedLength: 0 });
    await c.expect('scsi-response');
    c.command(TUR, { expectedLength: 0, cmdSN: 1 });
    expect(await c.next(300)).toBeUndefined();
    c.close();
  });

  it('holds a command that arrives ahead of ExpCmdSN until the gap is filled, then runs both in order', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const later = c.command(TUR, { expectedLength: 0, cmdSN: 2 });
    expect(await c.next(200)).toBeUndefined();
    const first = c.command(TUR, { expectedLength: 0, cmdSN: 1 });
    const a = await c.expect('scsi-response');
    const b = await c.expect('scsi-response');
    expect([a.pdu.itt, b.pdu.itt]).toEqual([first, later]);
    expect(b.pdu.expCmdSN).toBe(3);
    c.close();
  });

  it('runs immediate commands without consuming a CmdSN', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(TUR, { expectedLength: 0, immediate: true });
    const r = await c.expect('scsi-response');
    expect(r.pdu.expCmdSN).toBe(1);
    c.close();
  });
});
