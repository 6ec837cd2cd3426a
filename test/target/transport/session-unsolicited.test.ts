import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, write10 } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('unsolicited Data-Out (InitialR2T=No)', () => {
  it('accepts immediate + unsolicited data up to FirstBurstLength, then solicits the rest', async () => {
    srv = await startTestServer({ params: { initialR2T: false, firstBurstLength: 1024, maxBurstLength: 4096 } });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const payload = Buffer.alloc(4 * BLOCK);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
    const itt = c.command(write10(0, 4), { write: true, final: false, expectedLength: payload.length, immediateData: payload.subarray(0, 256) });
    c.dataOut(itt, 0xffffffff, 0, 256, payload.subarray(256, 512), false);
    c.dataOut(itt, 0xffffffff, 1, 512, payload.subarray(512, 1024), true);
    const r2t = await c.expect('r2t');
    expect([r2t.pdu.bufferOffset, r2t.pdu.desiredLength]).toEqual([1024, 1024]);
    c.dataOut(itt, r2t.pdu.ttt, 0, 1024, payload.subarray(1024), true);
    expect((await c.expect('scsi-response')).pdu.status).toBe(0);
    expect(srv.scsi.memory.subarray(0, payload.length).equals(payload)).toBe(true);
    c.close();
  });

  it('treats unsolicited data beyond FirstBurstLength as a protocol error', async () => {
    srv = await startTestServer({ params: { initialR2T: false, firstBurstLength: 512 } });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const itt = c.command(write10(0, 4), { write: true, final: false, expectedLength: 4 * BLOCK });
    c.dataOut(itt, 0xffffffff, 0, 0, Buffer.alloc(1024), true);
    expect((await c.expect('reject')).pdu.reason).toBe(0x04);
    expect(await c.next(200)).toBeUndefined();
    c.close();
  });
});
