import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TestInitiator } from './helpers/test-initiator.js';

let srv: TestServer;
afterEach(async () => {
  vi.useRealTimers();
  await srv?.close();
});

/**
 * The target's ping timers run on a fake clock (the sockets stay real), so the interval and
 * the deadline are exact: a loaded machine cannot make an answer late or a ping early.
 */
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

/** A NOP-Out round trip: the target has read everything sent before it (PDUs are handled in order). */
async function sync(c: TestInitiator): Promise<void> {
  const itt = c.nopOut(Buffer.from('sync'));
  expect((await c.expect('nop-in')).pdu.itt).toBe(itt);
}

describe('NOP-Out / NOP-In', () => {
  it('echoes an initiator ping with its ITT and data, advancing StatSN', async () => {
    srv = await startTestServer();
    const c = await TestInitiator.connect(srv.port);
    const login = await c.login();
    const itt = c.nopOut(Buffer.from('ping-data'));
    const r = await c.expect('nop-in');
    expect(r.pdu.itt).toBe(itt);
    expect(r.pdu.ttt).toBe(0xffffffff);
    expect(r.data.toString()).toBe('ping-data');
    expect(r.pdu.statSN).toBe(login.pdu.statSN + 1);
    c.close();
  });

  it('pings the initiator and keeps the connection while it answers', async () => {
    fakeTimers();
    srv = await startTestServer({ nopInterval: 0.1, nopTimeout: 0.3 });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    // Six answered pings: 600 ms, twice the 300 ms deadline. A ping goes out only once the
    // previous one was answered, so each new one also shows the answer was taken.
    const ttts = new Set<number>();
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(100);
      const ping = await c.expect('nop-in');
      expect(ping.pdu.itt).toBe(0xffffffff);
      expect(ping.pdu.ttt).not.toBe(0xffffffff);
      ttts.add(ping.pdu.ttt);
      c.nopOut(Buffer.alloc(0), { itt: 0xffffffff, ttt: ping.pdu.ttt });
      await sync(c);
    }
    expect(ttts.size).toBe(6);
    expect(c.closed).toBe(false);
    c.close();
  });

  it('drops a connection whose initiator does not answer our ping', async () => {
    fakeTimers();
    srv = await startTestServer({ nopInterval: 0.1, nopTimeout: 0.2 });
    const c = await TestInitiator.connect(srv.port);
    await c.login();
    await vi.advanceTimersByTimeAsync(100);
    await c.expect('nop-in');
    // Just short of the deadline the connection still stands...
    await vi.advanceTimersByTimeAsync(199);
    await sync(c);
    expect(c.closed).toBe(false);
    // ...and at the deadline it is dropped.
    await vi.advanceTimersByTimeAsync(1);
    expect(await c.waitClosed()).toBe(true);
    expect(srv.scsi.events.some((e) => e.startsWith('lost'))).toBe(true);
  });
});
