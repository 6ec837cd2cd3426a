import { afterEach, describe, expect, it } from 'vitest';
import { encodeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('malformed PDUs', () => {
  it('rejects an unknown opcode with the offending header while another session carries on', async () => {
    srv = await startTestServer();
    const bad = await TestInitiator.connect(srv.port);
    await bad.login({ isid: Buffer.from([0x40, 0, 0, 0, 0, 1]) });
    const good = await TestInitiator.connect(srv.port);
    await good.login({ isid: Buffer.from([0x40, 0, 0, 0, 0, 2]) });
    const junk = encodeNopOut({ immediate: true, lun: 0n, itt: 99, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1 }, 0);
    junk[0] = 0x40 | 0x1d;
    bad.send(junk);
    const rej = await bad.expect('reject');
    expect(rej.pdu.reason).toBe(0x05);
    expect(rej.data.equals(junk)).toBe(true);
    // The rejecting session still works, and so does the other one.
    bad.nopOut(Buffer.from('a'));
    expect((await bad.expect('nop-in')).data.toString()).toBe('a');
    good.nopOut(Buffer.from('b'));
    expect((await good.expect('nop-in')).data.toString()).toBe('b');
    bad.close();
    good.close();
  });

  it('rejects an oversize data segment with reason 0x04 and keeps framing', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.nopOut(Buffer.alloc(9000));
    const rej = await c.expect('reject');
    expect(rej.pdu.reason).toBe(0x04);
    c.nopOut(Buffer.from('after'));
    expect((await c.expect('nop-in')).data.toString()).toBe('after');
    c.close();
  });

  it('disconnects a peer that keeps sending junk', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const junk = Buffer.alloc(48);
    junk[0] = 0x1e;
    for (let i = 0; i < 40; i++) c.send(junk);
    expect(await c.waitClosed()).toBe(true);
  });

  it('drops a connection that sends a non-login PDU during login', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    c.nopOut(Buffer.alloc(0));
    expect(await c.waitClosed()).toBe(true);
  });
});
