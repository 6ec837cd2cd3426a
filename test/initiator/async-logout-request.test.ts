import { afterEach, describe, expect, it } from 'vitest';
import { IscsiSession, type AsyncEventInfo } from '../../src/initiator/session.js';
import { ReconnectingSession } from '../../src/initiator/reconnecting-session.js';
import { AsyncEvent } from '../../src/iscsi/pdu/opcodes.js';
import { FakeTarget } from './fake-target.js';

describe('async logout request', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('finishes the command in flight, then logs out', async () => {
    target = await FakeTarget.start({
      onCommand(conn, command) {
        conn.requestLogout();
        setTimeout(() => conn.respond(command.itt), 20);
      },
    });
    const events: AsyncEventInfo[] = [];
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: 'iqn.2024-01.x:fake',
      timeouts: { nopIntervalMs: 0 },
      onAsyncEvent: (e) => events.push(e),
    });
    const r = await session.command({ lun: 0, cdb: Buffer.alloc(6) });
    expect(r.status).toBe(0);
    expect(await session.closed).toBeUndefined();
    expect(events.map((e) => e.event)).toEqual([AsyncEvent.LOGOUT_REQUEST]);
    expect(target.connections[0]!.received.some((p) => p.kind === 'logout')).toBe(true);
  });

  it('makes a ReconnectingSession log in again and carry on', async () => {
    let first = true;
    target = await FakeTarget.start({
      onCommand(conn, command) {
        if (first) {
          first = false;
          conn.requestLogout();
        }
        conn.respond(command.itt);
      },
    });
    const session = await ReconnectingSession.connect(target.reconnectingOptions);
    expect((await session.command({ lun: 0, cdb: Buffer.alloc(6) })).status).toBe(0);
    await session.current?.closed;
    expect((await session.command({ lun: 0, cdb: Buffer.alloc(6) })).status).toBe(0);
    expect(session.reconnects).toBe(1);
    expect(target.connections.length).toBe(2);
    await session.logout();
  });
});
