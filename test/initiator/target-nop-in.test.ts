import { afterEach, describe, expect, it, vi } from 'vitest';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

describe("target's NOP-In ping", () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('is answered with a NOP-Out carrying its TTT and no ITT', async () => {
    target = await FakeTarget.start({ onCommand: (conn, c) => conn.respond(c.itt) });
    const session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } });
    const conn = target.connections[0]!;
    conn.pingInitiator(0x1234);
    // Wait for the answer to arrive rather than a fixed time.
    const answers = () => conn.received.flatMap((p) => (p.kind === 'nop-out' ? [p.pdu] : []));
    await vi.waitFor(() => expect(answers().length).toBeGreaterThan(0), { timeout: 10_000 });
    expect(answers()).toEqual([expect.objectContaining({ itt: 0xffffffff, ttt: 0x1234, immediate: true })]);
    await session.logout();
  });
});
