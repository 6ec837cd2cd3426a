/**
 * A PDU the target sends right behind its final login response arrives in the same TCP
 * read: the reader frames it before the login's promise settles. It must be framed with
 * the session's limits and reach the session, not be queued in the login's waiter and
 * dropped. Here the target pings at once (NOP-In with a TTT): the session must answer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

const TTT = 0x1234;

describe('a PDU in the same read as the final login response', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  for (const headerDigest of [false, true]) {
    it(`is framed and handled by the session (a NOP-In ping gets its NOP-Out; header digests: ${headerDigest})`, async () => {
      target = await FakeTarget.start({ headerDigest, afterLogin: (conn) => conn.nopInPing(TTT) });
      const session = await IscsiSession.connect({
        host: '127.0.0.1',
        port: target.port,
        targetName: 'iqn.2024-01.x:fake',
        headerDigest,
        timeouts: { nopIntervalMs: 0 },
      });
      expect(session.params.headerDigest).toBe(headerDigest);
      const answers = () => target!.connections[0]!.received.filter((p) => p.kind === 'nop-out' && p.pdu.ttt === TTT).length;
      await vi.waitFor(() => expect(answers()).toBe(1), { timeout: 2000 });
      expect(session.isOpen).toBe(true);
      session.destroy();
    });
  }
});
