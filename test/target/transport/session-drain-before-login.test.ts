/**
 * A new session (or connection) of an initiator is bound only once the tasks its lost one
 * left running have settled: a write the initiator gave up on must not land after what it
 * writes next (a replicating primary times a write out, reconnects and rewrites the chunk).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOLD_OPCODE } from './helpers/fake-scsi.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator, type Received } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => srv?.close());

const HOLD = Buffer.from([HOLD_OPCODE, 0, 0, 0, 0, 0]);
const ISID = Buffer.from([0x40, 0, 0, 0, 0, 1]);
/** Long enough for a login the target does not hold to be answered many times over. */
const HELD_MS = 300;

/** A session with a task running in the SCSI layer until srv.scsi.release(). */
async function sessionWithRunningTask(isid = ISID): Promise<{ client: TestInitiator; tsih: number }> {
  const client = await TestInitiator.connect(srv.port);
  const login = await client.login({ isid });
  client.command(HOLD, { expectedLength: 0 });
  // The echo comes back once the command has reached the SCSI layer (PDUs are handled in order).
  client.nopOut(Buffer.from('sync'));
  await client.expect('nop-in');
  expect(srv.scsi.heldCount).toBe(1);
  return { client, tsih: login.pdu.tsih };
}

/** The login's answer, and whether it came while the old task still ran. */
async function answeredOnlyAfterRelease(login: Promise<Received>): Promise<Received> {
  let answered = false;
  void login.then(() => (answered = true));
  await sleep(HELD_MS);
  expect(answered).toBe(false);
  srv.scsi.release();
  return login;
}

async function sessionsEnded(n: number): Promise<void> {
  while (srv.server.sessions.size !== n) await sleep(5);
}

describe('a login waits for the tasks its initiator left running', () => {
  it('session reinstatement: the same initiator port is answered once the old session has no task running', async () => {
    srv = await startTestServer();
    const old = await sessionWithRunningTask();
    const fresh = await TestInitiator.connect(srv.port);
    const login = fresh.login({ isid: ISID });
    // The old connection goes at once; only the answer waits.
    expect(await old.client.waitClosed()).toBe(true);
    const r = await answeredOnlyAfterRelease(login);
    expect(r.pdu.statusClass).toBe(0);
    expect(srv.server.sessions.size).toBe(1);
    fresh.nopOut(Buffer.from('bound'));
    expect((await fresh.expect('nop-in')).data.toString()).toBe('bound');
    fresh.close();
  });

  it('a lost session of the same initiator under another ISID holds the new login too', async () => {
    srv = await startTestServer();
    const old = await sessionWithRunningTask();
    old.client.close();
    await sessionsEnded(0);
    const fresh = await TestInitiator.connect(srv.port);
    const r = await answeredOnlyAfterRelease(fresh.login({ isid: Buffer.from([0x40, 0, 0, 0, 0, 2]) }));
    expect(r.pdu.statusClass).toBe(0);
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
    live.nopOut(Buffer.from('live'));
    expect((await live.expect('nop-in')).data.toString()).toBe('live');
    expect(srv.scsi.heldCount).toBe(1);
    srv.scsi.release();
    other.close();
    live.close();
  });

  it('a login whose connection closes while it waits binds nothing, and the next one is answered', async () => {
    srv = await startTestServer();
    const old = await sessionWithRunningTask();
    old.client.close();
    await sessionsEnded(0);
    const quitter = await TestInitiator.connect(srv.port);
    void quitter.login({ isid: ISID }).catch(() => undefined);
    await sleep(50);
    quitter.close();
    await sleep(50);
    srv.scsi.release();
    // Another ISID: a session bound to the closed connection would still be counted beside it.
    const next = await TestInitiator.connect(srv.port);
    expect((await next.login({ isid: Buffer.from([0x40, 0, 0, 0, 0, 4]) })).pdu.statusClass).toBe(0);
    expect(srv.server.sessions.size).toBe(1);
    next.close();
  });
});
