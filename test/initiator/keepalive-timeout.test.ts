import { afterEach, describe, expect, it } from 'vitest';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

describe('keepalive', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('drops the connection when the target stops answering pings', async () => {
    target = await FakeTarget.start({ onCommand: (conn, c) => conn.respond(c.itt), ignorePings: true });
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: 'iqn.2024-01.x:fake',
      timeouts: { nopIntervalMs: 100, nopTimeoutMs: 300 },
    });
    const started = Date.now();
    const reason = await session.closed;
    expect(reason).toBeInstanceOf(IscsiConnectionError);
    expect(reason!.message).toMatch(/keepalive/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(session.isOpen).toBe(false);
  });
});
