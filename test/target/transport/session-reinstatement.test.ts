import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('session reinstatement', () => {
  it('a new login with the same initiator name, ISID and target closes the old session', async () => {
    srv = await startTestServer();
    const a = await TestInitiator.connect(srv.port);
    const first = await a.login();
    const b = await TestInitiator.connect(srv.port);
    const second = await b.login();
    expect(await a.waitClosed()).toBe(true);
    expect(second.pdu.tsih).not.toBe(first.pdu.tsih);
    expect(srv.server.sessions.size).toBe(1);
    expect(srv.scsi.events.filter((e) => e.startsWith('lost'))).toHaveLength(1);
    b.nopOut(Buffer.from('still here'));
    expect((await b.expect('nop-in')).data.toString()).toBe('still here');
    b.close();
  });

  it('a different ISID is a separate session', async () => {
    srv = await startTestServer();
    const a = await TestInitiator.connect(srv.port);
    await a.login({ isid: Buffer.from([0x40, 0, 0, 0, 0, 1]) });
    const b = await TestInitiator.connect(srv.port);
    await b.login({ isid: Buffer.from([0x40, 0, 0, 0, 0, 2]) });
    expect(await a.waitClosed(300)).toBe(false);
    expect(srv.server.sessions.size).toBe(2);
    a.close();
    b.close();
  });
});
