import { afterEach, describe, expect, it } from 'vitest';
import { encodeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, read10, write10 } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('CRC32C digests in full feature phase', () => {
  it('carries writes and reads with header and data digests both ways', async () => {
    srv = await startTestServer({ params: { headerDigest: true, dataDigest: true } });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.useDigests();
    const payload = Buffer.alloc(2 * BLOCK, 0x5a);
    c.command(write10(0, 2), { write: true, expectedLength: payload.length, immediateData: payload.subarray(0, 1000) });
    const r2t = await c.expect('r2t');
    c.dataOut(r2t.pdu.itt, r2t.pdu.ttt, 0, 1000, payload.subarray(1000), true);
    expect((await c.expect('scsi-response')).pdu.status).toBe(0);
    c.command(read10(0, 2), { read: true, expectedLength: payload.length });
    const got: Buffer[] = [];
    for (;;) {
      const d = await c.expect('data-in');
      got.push(d.data);
      if (d.pdu.statusPresent) break;
    }
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    c.close();
  });

  it('answers a NOP-Out data digest error with Reject 0x02 and carries on', async () => {
    srv = await startTestServer({ params: { headerDigest: true, dataDigest: true } });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.useDigests();
    c.send(encodeNopOut({ immediate: true, lun: 0n, itt: 50, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1 }, 4), Buffer.from('oops'), true);
    expect((await c.expect('reject')).pdu.reason).toBe(0x02);
    c.nopOut(Buffer.from('fine'));
    expect((await c.expect('nop-in')).data.toString()).toBe('fine');
    c.close();
  });

  it('drops the connection on a data digest error in command data (ERL0)', async () => {
    srv = await startTestServer({ params: { headerDigest: true, dataDigest: true } });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.useDigests();
    const itt = c.command(write10(0, 1), { write: true, expectedLength: BLOCK });
    const r2t = await c.expect('r2t');
    const { encodeDataOut } = await import('../../../src/iscsi/pdu/data-out.js');
    c.send(encodeDataOut({ final: true, lun: 0n, itt, ttt: r2t.pdu.ttt, expStatSN: 0, dataSN: 0, bufferOffset: 0 }, BLOCK), Buffer.alloc(BLOCK), true);
    expect((await c.expect('reject')).pdu.reason).toBe(0x02);
    expect(await c.waitClosed()).toBe(true);
  });
});
