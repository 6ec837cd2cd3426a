import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('Text Request: SendTargets', () => {
  it('reports the local address the connection came in on in a discovery session', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login({ discovery: true });
    c.text('SendTargets=All\0');
    const r = await c.expect('text-response');
    expect(r.pdu.final).toBe(true);
    expect(r.data.toString()).toBe(`TargetName=${srv.scsi.name}\0TargetAddress=127.0.0.1:${srv.port},1\0`);
    c.close();
  });

  it('uses the advertise address override', async () => {
    srv = await startTestServer({ advertiseAddress: '10.0.2.2:3260' });
    const c = await TestInitiator.connect(srv.port);
    await c.login({ discovery: true });
    c.text('SendTargets=All\0X-Foo=1\0');
    const r = await c.expect('text-response');
    expect(r.data.toString()).toBe(`TargetName=${srv.scsi.name}\0TargetAddress=10.0.2.2:3260,1\0X-Foo=NotUnderstood\0`);
    c.close();
  });

  it('rejects SCSI commands in a discovery session', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login({ discovery: true });
    c.command(Buffer.alloc(6), { expectedLength: 0 });
    expect((await c.expect('reject')).pdu.reason).toBe(0x04);
    c.close();
  });
});
