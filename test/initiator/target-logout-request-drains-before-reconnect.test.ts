/**
 * A target's logout request (Async Message, event 1) leaves the session draining: its
 * commands in flight run on. A later command must not go out on a new nexus meanwhile: the
 * two would run unordered at the target, and a same-ISID login ends the old session under
 * its commands. So the reconnect waits for the old session to end; and a command lost with
 * it goes out on the new connection before later ones that were already waiting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { write16Cdb } from '../../src/initiator/cdb.js';
import { ReconnectingSession } from '../../src/initiator/reconnecting-session.js';
import { AsyncEvent } from '../../src/iscsi/pdu/opcodes.js';
import { FakeTarget, type FakeConnection } from './fake-target.js';

const W1 = 100;
const W2 = 200;

function writeAt(lba: number): { lun: number; cdb: Buffer; dataOut: Buffer; idempotent: boolean } {
  return { lun: 0, cdb: write16Cdb(lba, 1), dataOut: Buffer.alloc(512, lba), idempotent: true };
}

const lbaOf = (cdb: Buffer): number => (cdb[0] === 0x8a ? Number(cdb.readBigUInt64BE(2)) : -1);

async function connect(target: FakeTarget): Promise<{ session: ReconnectingSession; logoutRequested: Promise<void> }> {
  let requested!: () => void;
  const logoutRequested = new Promise<void>((r) => (requested = r));
  const session = await ReconnectingSession.connect({
    ...target.reconnectingOptions,
    onAsyncEvent: (e) => e.event === AsyncEvent.LOGOUT_REQUEST && requested(),
  });
  return { session, logoutRequested };
}

describe('a target-requested logout with a write in flight', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('sends a later write on a new connection only once the draining session has ended', async () => {
    const events: string[] = [];
    target = await FakeTarget.start({
      onConnection: (c) => {
        c.windowExtra = 16;
        c.socket.on('close', () => events.push(`connection ${target!.connections.indexOf(c)} closed`));
      },
      onCommand(conn, command) {
        const lba = lbaOf(command.cdb);
        if (lba >= 0) events.push(`W${lba / 100} on connection ${target!.connections.indexOf(conn)}`);
        if (lba !== W1) return conn.respond(command.itt);
        // W1: ask for a logout, and keep W1 running a while.
        conn.requestLogout();
        setTimeout(() => conn.respond(command.itt), 200);
      },
    });
    const { session, logoutRequested } = await connect(target);
    const first = session.command(writeAt(W1));
    await logoutRequested;
    const second = session.command(writeAt(W2));
    await Promise.all([first, second]);
    expect(events).toEqual(['W1 on connection 0', 'connection 0 closed', 'W2 on connection 1']);
    await session.logout();
  });

  it('re-issues a write lost with the draining session before a later write waiting for the new one', async () => {
    let draining: FakeConnection | undefined;
    target = await FakeTarget.start({
      onConnection: (c) => (c.windowExtra = 16),
      onCommand(conn, command) {
        if (lbaOf(command.cdb) === W1 && conn === target!.connections[0]) {
          conn.requestLogout();
          draining = conn;
          return; // W1 never completes there
        }
        conn.respond(command.itt);
      },
    });
    const { session, logoutRequested } = await connect(target);
    const first = session.command(writeAt(W1));
    await logoutRequested;
    const second = session.command(writeAt(W2)); // waits for the draining session to end
    draining!.socket.destroy(); // which it does by losing W1
    await Promise.all([first, second]);
    const writes = target.connections[1]!.received.flatMap((p) => (p.kind === 'scsi-command' && lbaOf(p.pdu.cdb) >= 0 ? [lbaOf(p.pdu.cdb)] : []));
    expect(writes).toEqual([W1, W2]);
    await session.logout();
  });
});
