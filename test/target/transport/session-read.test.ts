import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, read10 } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

describe('READ with multi-PDU Data-In', () => {
  it('splits by MaxSendDataSegmentLength, sets F per MaxBurstLength sequence and folds GOOD status into the last PDU', async () => {
    srv = await startTestServer({ params: { maxSendDataSegmentLength: 1024, maxBurstLength: 2048 } });
    for (let i = 0; i < 8 * BLOCK; i++) srv.scsi.memory[BLOCK * 4 + i] = i & 0xff;
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const itt = c.command(read10(4, 8), { read: true, expectedLength: 8 * BLOCK });
    const got: Buffer[] = [];
    for (let n = 0; n < 4; n++) {
      const d = await c.expect('data-in');
      expect(d.pdu.itt).toBe(itt);
      expect(d.pdu.dataSN).toBe(n);
      expect(d.pdu.bufferOffset).toBe(n * 1024);
      expect(d.data.length).toBe(1024);
      expect(d.pdu.final).toBe(n % 2 === 1);
      expect(d.pdu.statusPresent).toBe(n === 3);
      if (n === 3) expect(d.pdu.status).toBe(0);
      got.push(d.data);
    }
    expect(Buffer.concat(got).equals(srv.scsi.memory.subarray(4 * BLOCK, 12 * BLOCK))).toBe(true);
    expect(await c.next(200)).toBeUndefined();
    c.close();
  });

  it('sends CHECK CONDITION with sense in a separate SCSI Response', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const itt = c.command(Buffer.from([0xee, 0, 0, 0, 0, 0]), { expectedLength: 0 });
    const r = await c.expect('scsi-response');
    expect(r.pdu.itt).toBe(itt);
    expect(r.pdu.status).toBe(2);
    expect(r.data.readUInt16BE(0)).toBe(18);
    expect(r.data[2 + 2]).toBe(0x05);
    expect(r.data[2 + 12]).toBe(0x20);
    c.close();
  });
});
