import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, write10 } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('WRITE with immediate data and R2T', () => {
  it('takes immediate data, solicits the rest in MaxBurstLength bursts, and writes it all', async () => {
    srv = await startTestServer({ params: { firstBurstLength: 1024, maxBurstLength: 2048, maxOutstandingR2T: 1 } });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const payload = Buffer.alloc(8 * BLOCK);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const itt = c.command(write10(10, 8), { write: true, expectedLength: payload.length, immediateData: payload.subarray(0, 1024) });
    // 4096 bytes: 1024 immediate, then bursts of at most 2048 at offsets 1024 and 3072.
    const expected = [
      [1024, 2048],
      [3072, 1024],
    ];
    for (let n = 0; n < expected.length; n++) {
      const r2t = await c.expect('r2t');
      expect(r2t.pdu.itt).toBe(itt);
      expect(r2t.pdu.r2tSN).toBe(n);
      expect([r2t.pdu.bufferOffset, r2t.pdu.desiredLength]).toEqual(expected[n]);
      // Two Data-Out PDUs per burst to exercise DataSN and the F bit.
      const { bufferOffset: off, desiredLength: len, ttt } = r2t.pdu;
      const half = len / 2;
      c.dataOut(itt, ttt, 0, off, payload.subarray(off, off + half), false);
      c.dataOut(itt, ttt, 1, off + half, payload.subarray(off + half, off + len), true);
    }
    const resp = await c.expect('scsi-response');
    expect(resp.pdu.itt).toBe(itt);
    expect(resp.pdu.status).toBe(0);
    expect(resp.pdu.residualOverflow || resp.pdu.residualUnderflow).toBe(false);
    expect(resp.pdu.expDataSN).toBe(2);
    expect(srv.scsi.memory.subarray(10 * BLOCK, 18 * BLOCK).equals(payload)).toBe(true);
    c.close();
  });

  it('rejects a Data-Out that breaks its DataSN sequence and terminates that command only', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const itt = c.command(write10(0, 2), { write: true, expectedLength: 2 * BLOCK });
    const r2t = await c.expect('r2t');
    c.dataOut(itt, r2t.pdu.ttt, 0, 0, Buffer.alloc(BLOCK), false);
    c.dataOut(itt, r2t.pdu.ttt, 0, BLOCK, Buffer.alloc(BLOCK), true);
    const rej = await c.expect('reject');
    expect(rej.pdu.reason).toBe(0x04);
    expect(rej.data.readUInt32BE(16)).toBe(itt);
    // No response for the terminated command; the connection still serves others.
    c.nopOut(Buffer.from('alive'));
    expect((await c.expect('nop-in')).data.toString()).toBe('alive');
    expect(c.closed).toBe(false);
    c.close();
  });
});
