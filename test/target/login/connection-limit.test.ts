/**
 * --max-connections: a connection over the limit is answered "out of resources" (RFC 7143
 * §11.13.5, Status-Class 3, Status-Detail 2) at its first Login Request and closed; the
 * connections already open go on, and a slot freed by a closed connection is taken again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REFUSING_AT_ONCE } from '../../../src/target/connection-slots.js';
import { startTestServer, type TestServer } from '../transport/helpers/server.js';
import { TestInitiator } from '../transport/helpers/test-initiator.js';

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

function isid(n: number): Buffer {
  return Buffer.from([0x40, 0, 0, 0, 0, n]);
}

describe('the server-wide connection limit', () => {
  it('refuses a login over the limit with out of resources, and admits one once a slot is free', async () => {
    srv = await startTestServer({ maxConnections: 2 });
    const a = await TestInitiator.connect(srv.port);
    expect((await a.login({ isid: isid(1) })).pdu.statusClass).toBe(0);
    const b = await TestInitiator.connect(srv.port);
    expect((await b.login({ isid: isid(2) })).pdu.statusClass).toBe(0);

    const c = await TestInitiator.connect(srv.port);
    const refused = await c.login({ isid: isid(3) });
    expect([refused.pdu.statusClass, refused.pdu.statusDetail]).toEqual([0x03, 0x02]);
    expect(await c.waitClosed()).toBe(true);

    // The open sessions are untouched.
    const ping = a.nopOut(Buffer.alloc(0));
    expect((await a.expect('nop-in')).pdu.itt).toBe(ping);

    a.close();
    expect(await a.waitClosed()).toBe(true);
    // The slot comes back once the target has seen the close.
    let admitted = false;
    for (const deadline = Date.now() + 10_000; !admitted && Date.now() < deadline; ) {
      const d = await TestInitiator.connect(srv.port);
      const r = await d.login({ isid: isid(4) });
      admitted = r.pdu.statusClass === 0;
      if (!admitted) {
        await d.waitClosed();
        await new Promise((resolve) => setTimeout(resolve, 20));
      } else d.close();
    }
    expect(admitted).toBe(true);
    b.close();
  });

  it('closes connections unread beyond the few it is refusing at once', async () => {
    srv = await startTestServer({ maxConnections: 1 });
    const a = await TestInitiator.connect(srv.port);
    expect((await a.login()).pdu.statusClass).toBe(0);
    // Over the limit and never sending a login: each holds one of the refusing places.
    const waiting = await Promise.all(Array.from({ length: REFUSING_AT_ONCE }, () => TestInitiator.connect(srv!.port)));
    const extra = await TestInitiator.connect(srv.port);
    expect(await extra.waitClosed()).toBe(true);
    for (const w of waiting) expect(w.closed).toBe(false);
    for (const w of waiting) w.close();
    a.close();
  });

  it("lets an exempt initiator (a backup's replicator) in over the limit, and counts it while it stays", async () => {
    const replicator = 'iqn.2026-11.io.tandem:replicator';
    srv = await startTestServer({ maxConnections: 1, exempt: (name) => name.toLowerCase() === replicator });
    const host = await TestInitiator.connect(srv.port);
    expect((await host.login({ isid: isid(1) })).pdu.statusClass).toBe(0);
    const rep = await TestInitiator.connect(srv.port);
    expect((await rep.login({ isid: isid(2), initiator: 'IQN.2026-11.io.tandem:Replicator' })).pdu.statusClass).toBe(0);
    expect(srv.server.resourceUse().connections).toBe(2);
    const other = await TestInitiator.connect(srv.port);
    const refused = await other.login({ isid: isid(3) });
    expect([refused.pdu.statusClass, refused.pdu.statusDetail]).toEqual([0x03, 0x02]);
    expect(await other.waitClosed()).toBe(true);
    // The replicator's session works like any other.
    const ping = rep.nopOut(Buffer.alloc(0));
    expect((await rep.expect('nop-in')).pdu.itt).toBe(ping);
    host.close();
    rep.close();
  });

  it('lets a host that reinstates its session or connection in at the limit, in place of its old connection', async () => {
    srv = await startTestServer({ maxConnections: 1 });
    const first = await TestInitiator.connect(srv.port);
    expect((await first.login({ isid: isid(1) })).pdu.statusClass).toBe(0);

    // The host lost its link and logs in again before the target saw the old one die.
    const again = await TestInitiator.connect(srv.port);
    expect((await again.login({ isid: isid(1) })).pdu.statusClass).toBe(0);
    expect(await first.waitClosed()).toBe(true);

    // Connection reinstatement (same session, same CID) likewise.
    const reconnect = await TestInitiator.connect(srv.port);
    expect((await reconnect.login({ isid: isid(1), tsih: again.tsih })).pdu.statusClass).toBe(0);
    expect(await again.waitClosed()).toBe(true);
    const ping = reconnect.nopOut(Buffer.alloc(0));
    expect((await reconnect.expect('nop-in')).pdu.itt).toBe(ping);

    // Another initiator port is still over the limit, and the count settles at one.
    const other = await TestInitiator.connect(srv.port);
    const refused = await other.login({ isid: isid(2) });
    expect([refused.pdu.statusClass, refused.pdu.statusDetail]).toEqual([0x03, 0x02]);
    expect(await other.waitClosed()).toBe(true);
    // (the server counts a connection out when its socket's close event has run)
    for (const deadline = Date.now() + 5_000; srv.server.resourceUse().connections !== 1 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(srv.server.resourceUse().connections).toBe(1);
    reconnect.close();
  });
});
