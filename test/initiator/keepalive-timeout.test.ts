import { afterEach, describe, expect, it, vi } from 'vitest';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

describe('keepalive', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await target?.stop();
  });

  it('drops the connection when the target stops answering pings', async () => {
    // The session's timers and clock are fake (the sockets stay real), so the interval and
    // the deadline are exact however loaded the machine is.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    target = await FakeTarget.start({ onCommand: (conn, c) => conn.respond(c.itt), ignorePings: true });
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: 'iqn.2024-01.x:fake',
      timeouts: { nopIntervalMs: 100, nopTimeoutMs: 300 },
    });
    let closed = false;
    void session.closed.then(() => (closed = true));
    // The first ping goes out after 100 ms of silence and is overdue 300 ms after that: not sooner.
    await vi.advanceTimersByTimeAsync(350);
    expect(closed).toBe(false);
    expect(session.isOpen).toBe(true);
    // Well within 2 s of silence the connection is gone, for the keepalive.
    await vi.advanceTimersByTimeAsync(2000 - 350);
    expect(closed).toBe(true);
    const reason = await session.closed;
    expect(reason).toBeInstanceOf(IscsiConnectionError);
    expect(reason!.message).toMatch(/keepalive/);
    expect(session.isOpen).toBe(false);
  });
});
