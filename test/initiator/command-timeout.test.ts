import { afterEach, describe, expect, it, vi } from 'vitest';
import { IscsiTimeoutError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { TmfFunction } from '../../src/iscsi/pdu/opcodes.js';
import { FakeTarget } from './fake-target.js';

describe('per-command timeout', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('rejects with IscsiTimeoutError and sends ABORT TASK for the command', async () => {
    target = await FakeTarget.start({
      onCommand(conn, command) {
        if (command.cdb[0] !== 0x12) conn.respond(command.itt); // INQUIRY never completes
      },
    });
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: 'iqn.2024-01.x:fake',
      timeouts: { nopIntervalMs: 0, commandMs: 200 },
    });
    const handle = session.startCommand({ lun: 0, cdb: Buffer.from([0x12, 0, 0, 0, 36, 0]), dataInLength: 36 });
    const error = await handle.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiTimeoutError);
    // The ABORT TASK follows the timeout on the wire: wait for it to arrive, not a fixed time.
    const aborts = () => target!.connections[0]!.received.flatMap((p) => (p.kind === 'task-mgmt' ? [p.pdu] : []));
    await vi.waitFor(() => expect(aborts().length).toBeGreaterThan(0), { timeout: 10_000 });
    expect(aborts()).toEqual([expect.objectContaining({ function: TmfFunction.ABORT_TASK, referencedTaskTag: handle.itt })]);
    // The session is still usable.
    expect((await session.command({ lun: 0, cdb: Buffer.alloc(6) })).status).toBe(0);
    await session.logout();
  });
});
