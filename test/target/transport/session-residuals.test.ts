import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, read10, write10 } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('residuals (libiscsi iSCSIResiduals semantics)', () => {
  it('READ with EDTL smaller than the data: truncated, overflow residual', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(read10(0, 1), { read: true, expectedLength: 200 });
    const d = await c.expect('data-in');
    expect(d.data.length).toBe(200);
    expect(d.pdu.statusPresent).toBe(true);
    expect(d.pdu.residualOverflow).toBe(true);
    expect(d.pdu.residual).toBe(BLOCK - 200);
    c.close();
  });

  it('READ with EDTL larger than the data: underflow residual', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(read10(0, 1), { read: true, expectedLength: 10000 });
    const d = await c.expect('data-in');
    expect(d.pdu.residualUnderflow).toBe(true);
    expect(d.pdu.residual).toBe(10000 - BLOCK);
    c.close();
  });

  it('WRITE of two blocks with EDTL of one block: only EDTL written, overflow residual of one block', async () => {
    srv = await startTestServer();
    srv.scsi.memory.fill(0x61, 0, 2 * BLOCK);
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(write10(0, 2), { write: true, expectedLength: BLOCK, immediateData: Buffer.alloc(BLOCK, 0x62) });
    const r = await c.expect('scsi-response');
    expect(r.pdu.status).toBe(0);
    expect(r.pdu.residualOverflow).toBe(true);
    expect(r.pdu.residual).toBe(BLOCK);
    expect(srv.scsi.memory[0]).toBe(0x62);
    expect(srv.scsi.memory[BLOCK]).toBe(0x61);
    c.close();
  });

  it('WRITE of one block with EDTL 0: overflow residual of one block; EDTL 10000: underflow', async () => {
    srv = await startTestServer({ params: { firstBurstLength: 16384 } });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(write10(0, 1), { expectedLength: 0 });
    let r = await c.expect('scsi-response');
    expect([r.pdu.residualOverflow, r.pdu.residual]).toEqual([true, BLOCK]);
    c.command(write10(0, 1), { write: true, expectedLength: 10000, immediateData: Buffer.alloc(8192) });
    // The response is due at once; an R2T in its place is the failure (no fixed short wait).
    const r2t = await c.next();
    if (r2t?.kind === 'r2t') throw new Error('must not solicit beyond what the command needs');
    r = r2t as typeof r;
    expect(r.kind).toBe('scsi-response');
    expect([r.pdu.residualUnderflow, r.pdu.residual]).toEqual([true, 10000 - BLOCK]);
    c.close();
  });
});
