import { afterEach, describe, expect, it } from 'vitest';
import { HOLD_OPCODE } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, write10 } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

const HOLD = Buffer.from([HOLD_OPCODE, 0, 0, 0, 0, 0]);

/**
 * A NOP-Out round trip: the target handles a connection's PDUs in order, and both a
 * command's start and a TMF's abort happen as it reads them, so once the echo is back
 * everything sent before the ping has reached the SCSI layer and task management.
 */
async function sync(c: TestInitiator): Promise<void> {
  const itt = c.nopOut(Buffer.from('sync'));
  const echo = await c.expect('nop-in');
  expect(echo.pdu.itt).toBe(itt);
}

describe('task management', () => {
  it('ABORT TASK on a running task waits for it, answers COMPLETE and suppresses the task response', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const itt = c.command(HOLD, { expectedLength: 0 });
    await sync(c);
    expect(srv.scsi.heldCount).toBe(1);
    const tmfItt = c.tmf(1, itt, 1);
    expect(await c.next(200)).toBeUndefined();
    // The task is marked aborted before it is released, so it never answers.
    await sync(c);
    srv.scsi.release();
    const r = await c.expect('task-mgmt-response');
    expect(r.pdu.itt).toBe(tmfItt);
    expect(r.pdu.response).toBe(0);
    expect(await c.next(200)).toBeUndefined();
    c.close();
  });

  it('ABORT TASK on a write waiting for Data-Out drops it at once; late Data-Out is ignored', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    const itt = c.command(write10(0, 1), { write: true, expectedLength: 512 });
    const r2t = await c.expect('r2t');
    c.tmf(1, itt, 1);
    expect((await c.expect('task-mgmt-response')).pdu.response).toBe(0);
    c.dataOut(itt, r2t.pdu.ttt, 0, 0, Buffer.alloc(512), true);
    expect(await c.next(200)).toBeUndefined();
    expect(c.closed).toBe(false);
    c.close();
  });

  it('ABORT TASK for an unknown task answers TASK DOES NOT EXIST', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(Buffer.alloc(6), { expectedLength: 0 });
    await c.expect('scsi-response');
    c.tmf(1, 0x1234, 1);
    expect((await c.expect('task-mgmt-response')).pdu.response).toBe(1);
    c.close();
  });

  it('LOGICAL UNIT RESET aborts tasks on the LU and calls the SCSI hook', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.command(HOLD, { expectedLength: 0 });
    await sync(c);
    expect(srv.scsi.heldCount).toBe(1);
    c.tmf(5);
    // The reset waits for the held task (no response yet), which it has already aborted.
    expect(await c.next(100)).toBeUndefined();
    await sync(c);
    srv.scsi.release();
    const r = await c.expect('task-mgmt-response');
    expect(r.pdu.response).toBe(0);
    expect(srv.scsi.events).toContain('lunReset 0 400000000001');
    expect(await c.next(200)).toBeUndefined();
    c.close();
  });

  it('TARGET COLD RESET answers, then drops the session', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    c.tmf(7);
    expect((await c.expect('task-mgmt-response')).pdu.response).toBe(0);
    expect(await c.waitClosed()).toBe(true);
    expect(srv.scsi.events).toContain('targetReset cold 400000000001');
  });
});
