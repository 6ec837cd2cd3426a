/**
 * A keepalive NOP-Out the target answers with a Reject must not end keepalive: pinging goes
 * on, so a target that goes silent afterwards is still detected on an idle session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IscsiSession } from '../../src/initiator/session.js';
import { RejectReason } from '../../src/iscsi/pdu/opcodes.js';
import { FakeTarget } from './fake-target.js';

describe('keepalive after a rejected NOP-Out', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('keeps pinging, and drops a target that then goes silent', async () => {
    let pings = 0;
    target = await FakeTarget.start({
      onPdu(conn, pdu, header) {
        if (pdu.kind !== 'nop-out' || pdu.pdu.itt === 0xffffffff) return false;
        // The first ping is rejected; then the target hangs.
        if (++pings === 1) conn.reject(RejectReason.PROTOCOL_ERROR, header);
        return true;
      },
    });
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: 'iqn.2024-01.x:fake',
      timeouts: { nopIntervalMs: 200, nopTimeoutMs: 500 },
    });
    // About a second: a ping 200 ms after the reject, unanswered for 500 ms.
    const outcome = await Promise.race([
      session.closed.then((e) => `closed: ${e?.message}`),
      new Promise<string>((r) => setTimeout(() => r('still open after 5 s'), 5000)),
    ]);
    expect(pings).toBeGreaterThan(1);
    expect(outcome).toMatch(/keepalive/);
    session.destroy();
  });
});
