/**
 * A task an initiator's lost session left running (a write handed to the device) settles
 * before anything its next session sends to the same LU runs: a write the initiator gave up
 * on must not land after what it writes next (a replicating primary times a write out,
 * reconnects and rewrites the chunk). The new session is bound at once and only that LU
 * waits; other LUs, other initiators and live sessions go on. A reinstated connection (the
 * same session) is answered once its old tasks have settled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOLD_OPCODE, BLOCK } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, type Received } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

const HOLD = Buffer.from([HOLD_OPCODE, 0, 0, 0, 0, 0]);
const TEST_UNIT_READY = Buffer.alloc(6);
const ISID = Buffer.from([0x40, 0, 0, 0, 0, 1]);
/** Long enough for an answer the target does not hold to come many times over. */
const HELD_MS = 300;

function write10(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x2a;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

/** A session with a task running in the SCSI layer (on `lun`) until srv.scsi.release(). */
async function sessionWithRunningTask(opts: { isid?: Buffer; lun?: number } = {}): Promise<{ client: TestInitiator; tsih: number }> {
  const client = await TestInitiator.connect(srv.port);
  const login = await client.login({ isid: opts.isid ?? ISID });
  client.command(HOLD, { expectedLength: 0, lun: opts.lun ?? 0 });
  // The echo comes back once the command has reached the SCSI layer (PDUs are handled in order).
  client.nopOut(Buffer.from('sync'));
  await client.expect('nop-in');
  expect(srv.scsi.heldCount).toBe(1);
  return { client, tsih: login.pdu.tsih };
}

/** The answer, and that it came only once the old task was released. */
async function answeredOnlyAfterRelease<T>(answer: Promise<T>): Promise<T> {
  let answered = false;
  void answer.then(() => (answered = true));
  await sleep(HELD_MS);
  expect(answered).toBe(false);
  srv.scsi.release();
  return answer;
}

async function sessionsEnded(n: number): Promise<void> {
  while (srv.server.sessions.size !== n) await sleep(5);
}

/** The initiator comes back after losing the session `old` (and nothing else): a new session, bound at once. */
async function comeBack(old: { client: TestInitiator }, isid = ISID): Promise<TestInitiator> {
  old.client.close();
  await sessionsEnded(0);
  const fresh = await TestInitiator.connect(srv.port);
  expect((await fresh.login({ isid })).pdu.statusClass).toBe(0);
  return fresh;
}

async function status(client: TestInitiator): Promise<number> {
  const r = (await client.expect('scsi-response')) as Extract<Received, { kind: 'scsi-response' }>;
  return r.pdu.status;
}

describe('a new session waits, on each LU, for the tasks its initiator left running there', () => {
  it('session reinstatement: bound at once; a command to the LU runs once the old session has no task running there', async () => {
    srv = await startTestServer();
    const old = await sessionWithRunningTask();
    const fresh = await TestInitiator.connect(srv.port);
    expect((await fresh.login({ isid: ISID })).pdu.statusClass).toBe(0);
    expect(await old.client.waitClosed()).toBe(true);
    expect(srv.server.sessions.size).toBe(1);
    fresh.command(TEST_UNIT_READY, { expectedLength: 0 });
    expect(await answeredOnlyAfterRelease(status(fresh))).toBe(0);
    fresh.close();
  });

  it('a write sent on the new session lands after the old session\'s task, and other LUs are not held', async () => {
    srv = await startTestServer();
    const fresh = await comeBack(await sessionWithRunningTask());
    // LU 1 answers at once although LU 0 is held.
    fresh.command(TEST_UNIT_READY, { expectedLength: 0, lun: 1 });
    expect(await status(fresh)).toBe(0);
    const data = Buffer.alloc(BLOCK, 0x5a);
    fresh.command(write10(3, 1), { write: true, expectedLength: BLOCK, immediateData: data });
    await sleep(HELD_MS);
    expect(srv.scsi.memory.subarray(3 * BLOCK, 4 * BLOCK).equals(Buffer.alloc(BLOCK))).toBe(true);
    expect(await answeredOnlyAfterRelease(status(fresh))).toBe(0);
    expect(srv.scsi.memory.subarray(3 * BLOCK, 4 * BLOCK).equals(data)).toBe(true);
    fresh.close();
  });

  it('the lost session held another LU: this one is not held', async () => {
    srv = await startTestServer();
    const fresh = await comeBack(await sessionWithRunningTask({ lun: 1 }));
    fresh.command(TEST_UNIT_READY, { expectedLength: 0 });
    expect(await status(fresh)).toBe(0);
    fresh.command(TEST_UNIT_READY, { expectedLength: 0, lun: 1 });
    expect(await answeredOnlyAfterRelease(status(fresh))).toBe(0);
    fresh.close();
  });

  it('a lost session of the same initiator under another ISID holds the LU too', async () => {
    srv = await startTestServer();
    const fresh = await comeBack(await sessionWithRunningTask(), Buffer.from([0x40, 0, 0, 0, 0, 2]));
    fresh.command(TEST_UNIT_READY, { expectedLength: 0 });
    expect(await answeredOnlyAfterRelease(status(fresh))).toBe(0);
    fresh.close();
  });

  it('a held write aborted by task management never runs', async () => {
    srv = await startTestServer();
    const fresh = await comeBack(await sessionWithRunningTask());
    const itt = fresh.command(write10(5, 1), { write: true, expectedLength: BLOCK, immediateData: Buffer.alloc(BLOCK, 0x77) });
    fresh.tmf(1, itt, 1);
    const tmf = (await fresh.expect('task-mgmt-response')) as Extract<Received, { kind: 'task-mgmt-response' }>;
    expect(tmf.pdu.response).toBe(0);
    srv.scsi.release();
    // A command after it is answered (so the abort's outcome has settled), and the write is not in memory.
    fresh.command(TEST_UNIT_READY, { expectedLength: 0 });
    expect(await status(fresh)).toBe(0);
    expect(srv.scsi.memory.subarray(5 * BLOCK, 6 * BLOCK).equals(Buffer.alloc(BLOCK))).toBe(true);
    fresh.close();
  });

  it('connection reinstatement: the new connection is bound to the session once the old connection has no task running', async () => {
    srv = await startTestServer();
    const old = await sessionWithRunningTask();
    const fresh = await TestInitiator.connect(srv.port);
    const login = fresh.login({ isid: ISID, tsih: old.tsih });
    expect(await old.client.waitClosed()).toBe(true);
    const r = await answeredOnlyAfterRelease(login);
    expect(r.pdu.statusClass).toBe(0);
    expect(r.pdu.tsih).toBe(old.tsih);
    fresh.nopOut(Buffer.from('same session'));
    expect((await fresh.expect('nop-in')).data.toString()).toBe('same session');
    fresh.close();
  });

  it('another initiator is not held, and neither is a live session of the same one', async () => {
    srv = await startTestServer();
    const live = await TestInitiator.connect(srv.port);
    await live.login({ isid: Buffer.from([0x40, 0, 0, 0, 0, 3]) });
    const old = await sessionWithRunningTask();
    old.client.close();
    await sessionsEnded(1);
    const other = await TestInitiator.connect(srv.port);
    expect((await other.login({ initiator: 'iqn.2026-01.test:other' })).pdu.statusClass).toBe(0);
    other.command(TEST_UNIT_READY, { expectedLength: 0 });
    expect(await status(other)).toBe(0);
    live.command(TEST_UNIT_READY, { expectedLength: 0 });
    expect(await status(live)).toBe(0);
    expect(srv.scsi.heldCount).toBe(1);
    srv.scsi.release();
    other.close();
    live.close();
  });

  it('a reinstating connection that closes while its login waits binds nothing, and the next login is answered', async () => {
    srv = await startTestServer();
    const old = await sessionWithRunningTask();
    const quitter = await TestInitiator.connect(srv.port);
    void quitter.login({ isid: ISID, tsih: old.tsih }).catch(() => undefined);
    expect(await old.client.waitClosed()).toBe(true);
    quitter.close();
    await sleep(50);
    srv.scsi.release();
    await sessionsEnded(0);
    const next = await TestInitiator.connect(srv.port);
    expect((await next.login({ isid: ISID })).pdu.statusClass).toBe(0);
    expect(srv.server.sessions.size).toBe(1);
    next.close();
  });
});
