/**
 * ABORT TASK SET and LOGICAL UNIT RESET cover the commands the target received before the
 * TMF (CmdSN below the TMF's). A command sent after it runs on and completes: it must not be
 * failed here, with its real response then dropped as belonging to an unknown task.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget, type FakeConnection } from './fake-target.js';

const FUNCTIONS = [
  ['ABORT TASK SET', (s: IscsiSession) => s.abortTaskSet(0)],
  ['LOGICAL UNIT RESET', (s: IscsiSession) => s.lunReset(0)],
] as const;

describe('a LUN task management function and a command sent after it', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  for (const [name, run] of FUNCTIONS) {
    it(`${name} aborts the earlier command and leaves the later one to complete`, async () => {
      let tmf: { conn: FakeConnection; itt: number } | undefined;
      target = await FakeTarget.start({
        onConnection: (c) => (c.windowExtra = 16),
        onPdu(conn, pdu) {
          if (pdu.kind !== 'task-mgmt') return false;
          tmf = { conn, itt: pdu.pdu.itt }; // answered once the later command is in
          return true;
        },
        onCommand(conn, command) {
          if (!tmf) return; // before the TMF: aborted by it, so never answered
          conn.taskManagementDone(tmf.itt);
          conn.respond(command.itt);
        },
      });
      const session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } });
      const settled = (p: Promise<{ status: number }>) => p.then((r) => `status ${r.status}`, (e: Error) => e.name);
      const before = settled(session.command({ lun: 0, cdb: Buffer.alloc(6) }));
      await vi.waitFor(() => expect(target!.connections[0]!.received.some((p) => p.kind === 'scsi-command')).toBe(true));
      const done = run(session);
      await vi.waitFor(() => expect(tmf).toBeDefined());
      const after = settled(session.command({ lun: 0, cdb: Buffer.alloc(6) }));
      await done;
      expect(await before).toBe('CommandAbortedError');
      expect(await after).toBe('status 0');
      session.destroy();
    });
  }
});
