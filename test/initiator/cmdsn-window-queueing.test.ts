import { afterEach, describe, expect, it } from 'vitest';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

describe('CmdSN window', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('queues commands while the window is closed and sends each as it opens, in order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const order: number[] = [];
    target = await FakeTarget.start({
      onCommand(conn, command) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        order.push(command.cdb[1]!);
        setTimeout(() => {
          inFlight--;
          conn.respond(command.itt);
        }, 2);
      },
    });
    const session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } });
    const commands = Array.from({ length: 10 }, (_, i) => session.command({ lun: 0, cdb: Buffer.from([0, i, 0, 0, 0, 0]) }));
    expect(session.outstanding).toBe(10);
    const results = await Promise.all(commands);
    expect(results.every((r) => r.status === 0)).toBe(true);
    expect(maxInFlight).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const cmdSNs = target.connections[0]!.received.flatMap((p) => (p.kind === 'scsi-command' ? [p.pdu.cmdSN] : []));
    expect(cmdSNs).toEqual(cmdSNs.map((_, i) => cmdSNs[0]! + i));
    await session.logout();
  });
});
