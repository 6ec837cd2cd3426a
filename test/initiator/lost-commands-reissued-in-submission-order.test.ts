/**
 * Commands lost with a connection reject oldest first, and ReconnectingSession re-issues
 * them in that order. ITTs wrap (0xfffffffe, then 1 after the reserved tag: ~4e9 commands
 * on one connection), so a newer command may carry the smaller ITT: ordering by ITT would
 * re-issue two overlapping replica writes newest first and leave the older data on the backup.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { write16Cdb } from '../../src/initiator/cdb.js';
import { ReconnectingSession } from '../../src/initiator/reconnecting-session.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget, type FakeConnection } from './fake-target.js';

const OPTIONS = { host: '127.0.0.1', targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } };

/** Stands in for ~4e9 commands: the next two ITTs are 0xfffffffe and 1. */
function nearIttWrap(session: IscsiSession): void {
  (session as unknown as { nextItt: number }).nextItt = 0xfffffffe;
}

function writeAt(lba: number): { lun: number; cdb: Buffer; dataOut: Buffer; idempotent: boolean } {
  return { lun: 0, cdb: write16Cdb(lba, 1), dataOut: Buffer.alloc(512, lba), idempotent: true };
}

const writesIn = (conn: FakeConnection) =>
  conn.received.flatMap((p) => (p.kind === 'scsi-command' && p.pdu.cdb[0] === 0x8a ? [{ itt: p.pdu.itt, lba: Number(p.pdu.cdb.readBigUInt64BE(2)) }] : []));

describe('commands lost with a connection', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('reject in submission order when the ITT wrapped between them', async () => {
    target = await FakeTarget.start({ onConnection: (c) => (c.windowExtra = 16) }); // never answers
    const session = await IscsiSession.connect({ ...OPTIONS, port: target.port });
    nearIttWrap(session);
    const rejected: number[] = [];
    const lost = [100, 200].map((lba) => session.command(writeAt(lba)).catch(() => rejected.push(lba)));
    const conn = target.connections[0]!;
    await vi.waitFor(() => expect(writesIn(conn)).toHaveLength(2));
    expect(writesIn(conn)).toEqual([{ itt: 0xfffffffe, lba: 100 }, { itt: 1, lba: 200 }]);
    session.destroy();
    await Promise.all(lost);
    expect(rejected).toEqual([100, 200]);
  });

  for (const wrap of [false, true]) {
    it(`are re-issued in submission order on the next connection (ITT wrap between them: ${wrap})`, async () => {
      target = await FakeTarget.start({
        onConnection: (c) => (c.windowExtra = 16),
        onCommand(conn, command) {
          // The first connection never answers a write: it drops with both in flight.
          if (command.cdb[0] !== 0x8a || conn !== target!.connections[0]) conn.respond(command.itt);
        },
      });
      const session = await ReconnectingSession.connect({ ...OPTIONS, port: target.port, reconnect: { initialDelayMs: 10 } });
      if (wrap) nearIttWrap(session.current!);
      const writes = [100, 200].map((lba) => session.command(writeAt(lba)));
      const first = target.connections[0]!;
      await vi.waitFor(() => expect(writesIn(first)).toHaveLength(2));
      first.socket.destroy();
      await Promise.all(writes);
      expect(writesIn(target.connections[1]!).map((w) => w.lba)).toEqual([100, 200]);
      await session.logout();
    });
  }
});
